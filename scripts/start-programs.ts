// What runs for each of the four programs: its entry file and the settings it is given. Every
// port and URL comes from StartSettings, so overriding one port rewires the others.
import { join } from 'node:path';
import { API_NODE_FLAGS } from '../server/src/node-flags.ts';
import type { ProgramSpec } from './start-child.ts';
import {
  internalUrl,
  type ProgramName,
  publicUrl,
  REPO_DIR,
  type StartSettings,
} from './start-settings.ts';
import { viteBin } from './start-web-build.ts';

/** Where `pnpm start` keeps the web build (see start-web-build.ts for why not web/dist). */
export function webBuildDir(settings: StartSettings): string {
  return join(settings.dataDir, 'web-dist');
}

export function programSpecs(
  settings: StartSettings,
  nodeArgs: Partial<Record<ProgramName, string[]>> = {},
): Record<ProgramName, ProgramSpec> {
  const { host, ports, dataDir, logLevel } = settings;
  const base = inheritedEnv();
  const node = (program: ProgramName, entry: string) => [...(nodeArgs[program] ?? []), entry];
  const webOrigins = [publicUrl(settings, 'web'), `http://127.0.0.1:${ports.web}`];

  const apiEnv: Record<string, string> = {
    ...base,
    PORT: String(ports.api),
    HOST: host,
    DATA_DIR: join(dataDir, 'server'),
    USER_API_URL: internalUrl(settings, 'user_api'),
    FILE_STORE_URL: internalUrl(settings, 'file_store'),
    PUBLIC_URL: publicUrl(settings, 'api'),
    CORS_ORIGINS: [...webOrigins, ...settings.extraCorsOrigins].join(','),
    LOG_LEVEL: logLevel,
  };
  // Unset means the embedded PGlite; an inherited empty value would be a settings error.
  if (settings.databaseUrl) apiEnv.DATABASE_URL = settings.databaseUrl;

  return {
    user_api: {
      name: 'user_api',
      args: node('user_api', 'backends/user-api/src/main.ts'),
      cwd: REPO_DIR,
      env: {
        ...base,
        PORT: String(ports.user_api),
        HOST: host,
        DATA_DIR: join(dataDir, 'user-api'),
        LOG_LEVEL: logLevel,
      },
      healthUrl: `${internalUrl(settings, 'user_api')}/health`,
    },
    file_store: {
      name: 'file_store',
      args: node('file_store', 'backends/file-store/src/main.ts'),
      cwd: REPO_DIR,
      env: {
        ...base,
        PORT: String(ports.file_store),
        HOST: host,
        DATA_DIR: join(dataDir, 'file-store'),
        LOG_LEVEL: logLevel,
      },
      healthUrl: `${internalUrl(settings, 'file_store')}/health`,
    },
    api: {
      name: 'api',
      args: [...API_NODE_FLAGS, ...node('api', 'server/src/main.ts')],
      cwd: REPO_DIR,
      env: apiEnv,
      healthUrl: `${internalUrl(settings, 'api')}/health`,
    },
    web: {
      name: 'web',
      args: [
        ...(nodeArgs.web ?? []),
        viteBin(REPO_DIR),
        'preview',
        '--outDir',
        webBuildDir(settings),
        '--host',
        host,
        '--port',
        String(ports.web),
        '--strictPort',
      ],
      cwd: join(REPO_DIR, 'web'),
      env: { ...base, PORT: String(ports.web) },
      healthUrl: `${internalUrl(settings, 'web')}/`,
    },
  };
}

/**
 * The caller's environment minus what each program gets explicitly: a `PORT` or `DATA_DIR`
 * left in the shell must not leak into all four at once.
 */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL'].includes(key)) {
      env[key] = value;
    }
  }
  return env;
}

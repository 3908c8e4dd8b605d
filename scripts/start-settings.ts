// The settings of `pnpm start` (scripts/start.ts): which ports the four programs take, where
// their data lives, and which database the API uses. Read once from the environment; a wrong
// value stops the start with a message naming the variable.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('..', import.meta.url));

/** The four programs, in the order they are listed to the user. */
export type ProgramName = 'web' | 'api' | 'file_store' | 'user_api';

export interface PortSetting {
  program: ProgramName;
  /** The environment variable that sets this program's port. */
  variable: string;
  fallback: number;
  /** How a message names the program. */
  label: string;
}

export const PORT_SETTINGS: readonly PortSetting[] = [
  { program: 'web', variable: 'WEB_PORT', fallback: 5173, label: 'the web app' },
  { program: 'api', variable: 'API_PORT', fallback: 8080, label: 'the API' },
  { program: 'file_store', variable: 'FILE_STORE_PORT', fallback: 8081, label: 'file_store' },
  { program: 'user_api', variable: 'USER_API_PORT', fallback: 8090, label: 'user_api' },
];

export interface StartSettings {
  ports: Record<ProgramName, number>;
  /** Every program binds here: loopback only, this is a local run (compose is for more). */
  host: string;
  /** Holds `server/` (PGlite), `file-store/`, `user-api/` and the web build, `web-dist/`. */
  dataDir: string;
  /** Unset: the API keeps an embedded PGlite under `dataDir/server`. */
  databaseUrl: string | undefined;
  logLevel: string;
  /** Extra origins the API accepts besides the web app's own. */
  extraCorsOrigins: string[];
  /** Skip the "are dependencies installed?" check (tests, or a machine that manages them). */
  skipInstall: boolean;
}

export class SettingsError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readStartSettings(env: NodeJS.ProcessEnv = process.env): StartSettings {
  const ports = {} as Record<ProgramName, number>;
  for (const setting of PORT_SETTINGS) {
    ports[setting.program] = readPort(env, setting);
  }
  const taken = new Map<number, PortSetting>();
  for (const setting of PORT_SETTINGS) {
    const other = taken.get(ports[setting.program]);
    if (other) {
      throw new SettingsError(
        `${setting.variable} and ${other.variable} are both ${ports[setting.program]}; give each program its own port`,
      );
    }
    taken.set(ports[setting.program], setting);
  }

  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new SettingsError(`LOG_LEVEL is "${logLevel}"; use one of ${LOG_LEVELS.join(', ')}`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new SettingsError('DATABASE_URL must start with postgres:// (or leave it unset)');
  }

  return {
    ports,
    host: '127.0.0.1',
    dataDir: resolve(env.CLOUD_SOUND_DATA_DIR?.trim() || resolve(REPO_DIR, 'data')),
    databaseUrl,
    logLevel,
    extraCorsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    skipInstall: env.CLOUD_SOUND_SKIP_INSTALL === '1',
  };
}

function readPort(env: NodeJS.ProcessEnv, setting: PortSetting): number {
  const raw = env[setting.variable]?.trim();
  if (!raw) return setting.fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new SettingsError(
      `${setting.variable} is "${raw}"; it must be a port number from 1 to 65535`,
    );
  }
  return port;
}

/** How a browser (and the user) reaches a program: `localhost` resolves to the loopback bind. */
export function publicUrl(settings: StartSettings, program: ProgramName): string {
  return `http://localhost:${settings.ports[program]}`;
}

/** How the programs reach each other: the exact address they bind, no name lookup. */
export function internalUrl(settings: StartSettings, program: ProgramName): string {
  return `http://${settings.host}:${settings.ports[program]}`;
}

// The programs of Cloud Sound and how each one is run: its package, entry file, node flags,
// health check, data folder, and the few settings the launcher must give it so that the
// programs find each other. Everything else is the program's own business: its settings are
// typed by its own package and checked by its own settings parser. To add a program, add its
// settings type to ProgramSettings and its entry to PROGRAMS (and a service to
// docker-compose.yml); nothing outside this package changes.
import { join } from 'node:path';
import {
  type Settings as FileStoreSettings,
  loadConfig as loadFileStoreSettings,
} from '@cloud-sound/file-store/settings';
import { API_NODE_FLAGS } from '@cloud-sound/server/node-flags';
import {
  type Settings as ApiSettings,
  loadConfig as loadApiSettings,
} from '@cloud-sound/server/settings';
import {
  loadConfig as loadUserApiSettings,
  type Settings as UserApiSettings,
} from '@cloud-sound/user-api/settings';
import { packageDir, REPO_DIR } from './paths.ts';

/**
 * The web app's settings. It has no server of its own (Vite serves it) and so no settings
 * module; these are the ones `vite preview`/`vite` and the build take.
 */
export interface WebSettings {
  PORT?: string;
  HOST?: string;
  /** The API's URL as browsers reach it; Vite inlines it at build time. */
  VITE_API_URL?: string;
}

/** Each program's settings, as its own package types them (environment variables, as text). */
export interface ProgramSettings {
  web: WebSettings;
  api: ApiSettings;
  file_store: FileStoreSettings;
  user_api: UserApiSettings;
}

export type ProgramName = keyof ProgramSettings;

/** Settings for some programs, each typed by its program. */
export type SettingsByProgram = { [P in ProgramName]?: ProgramSettings[P] };

/** What the launcher knows about the system when it wires a program into it. */
export interface Wiring {
  /** The address every program binds. */
  host: string;
  /** How programs (and tests) reach a program of this system; undefined if it is not part of it. */
  url(program: ProgramName): string | undefined;
  /** How a browser reaches a program of this system; undefined if it is not part of it. */
  publicUrl(program: ProgramName): string | undefined;
  port(program: ProgramName): number;
  dataDir(program: ProgramName): string;
  /** The API's Postgres server; undefined: the API's embedded PGlite. */
  databaseUrl: string | undefined;
}

/** How to run one program; `S` is its settings type. */
export interface ProgramDefinition<S> {
  /** How messages name it: "port 8080 (the API) is already in use". */
  label: string;
  /** How the list of URLs `pnpm start` prints names it, and what it adds after the URL. */
  title: string;
  note?: (publicUrl: string) => string;
  packageName: string;
  /** Its folder inside the system's data folder. */
  dataFolder: string;
  /** GET this path until it answers 2xx: the program is up. */
  healthPath: string;
  /** Node flags it always runs with (before the entry file). */
  nodeFlags: readonly string[];
  /**
   * The program's own settings parser: validates `settings` (throwing with a message that
   * names the wrong one) and returns every setting it knows, defaults filled in. Settings it
   * does not know are missing from the result.
   */
  parseSettings(settings: S): Record<string, unknown>;
  /** The settings the launcher sets: where it listens, keeps data, finds the others. */
  wiring(wiring: Wiring): S;
  /** Settings that must end up set, and the program that would give each one. */
  needs: Partial<Record<keyof S & string, ProgramName>>;
  /** The command: node arguments after the flags, and the working folder. */
  command(context: CommandContext<S>): { cwd: string; args: string[] };
  /**
   * Run before each start in production mode (not under `dev`), e.g. the web app's build.
   * `log` takes its output lines.
   */
  prepare?(context: CommandContext<S>, log: (line: string) => void): Promise<void>;
}

export interface CommandContext<S> {
  settings: S;
  dataDir: string;
  /** Development: restart on source changes, serve sources directly. */
  dev: boolean;
}

/** A Node program of this workspace: `node <flags> src/main.ts` in its package folder. */
function nodeProgram<S>(
  definition: Omit<ProgramDefinition<S>, 'command' | 'nodeFlags'> & {
    nodeFlags?: readonly string[];
    /** Folders outside the package that a change in restarts it under `dev`. */
    alsoWatch?: string[];
  },
): ProgramDefinition<S> {
  return {
    nodeFlags: [],
    ...definition,
    command({ dev }) {
      const dir = packageDir(definition.packageName, `${definition.packageName}/settings`);
      const watch = dev
        ? [
            '--watch-preserve-output',
            ...[join(dir, 'src'), ...(definition.alsoWatch ?? [])].map(
              (path) => `--watch-path=${path}`,
            ),
          ]
        : [];
      return { cwd: dir, args: [...watch, 'src/main.ts'] };
    },
  };
}

/**
 * One of the internal services: it needs nothing of the others, only its port, host and data
 * folder, and answers /health.
 */
function backendProgram<S extends { PORT?: string; HOST?: string; DATA_DIR?: string }>(
  name: 'file_store' | 'user_api',
  definition: Pick<ProgramDefinition<S>, 'packageName' | 'dataFolder' | 'parseSettings'> &
    Partial<Pick<ProgramDefinition<S>, 'note'>>,
): ProgramDefinition<S> {
  return nodeProgram<S>({
    label: name,
    title: name,
    healthPath: '/health',
    ...definition,
    wiring: (wiring) =>
      ({
        PORT: String(wiring.port(name)),
        HOST: wiring.host,
        DATA_DIR: wiring.dataDir(name),
      }) as S,
    needs: {},
  });
}

function parseWebSettings(settings: WebSettings): Record<string, unknown> {
  const port = settings.PORT ?? '5173';
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    throw new Error(`web: invalid settings: PORT must be a port number, not "${port}"`);
  }
  if (settings.VITE_API_URL !== undefined && !/^https?:\/\/\S+$/.test(settings.VITE_API_URL)) {
    throw new Error('web: invalid settings: VITE_API_URL must be an http(s) URL');
  }
  return {
    PORT: Number(port),
    HOST: settings.HOST || 'localhost',
    VITE_API_URL: settings.VITE_API_URL,
  };
}

/** Every program, in the order they are listed to people. */
export const PROGRAMS: { [P in ProgramName]: ProgramDefinition<ProgramSettings[P]> } = {
  web: {
    label: 'the web app',
    title: 'web app',
    packageName: '@cloud-sound/web',
    dataFolder: 'web-dist',
    healthPath: '/',
    nodeFlags: [],
    parseSettings: parseWebSettings,
    wiring: (wiring) => ({
      PORT: String(wiring.port('web')),
      HOST: wiring.host,
      VITE_API_URL: wiring.publicUrl('api'),
    }),
    needs: { VITE_API_URL: 'api' },
    command({ settings, dataDir, dev }) {
      const dir = packageDir('@cloud-sound/web');
      const vite = join(dir, 'node_modules/vite/bin/vite.js');
      const listen = ['--host', settings.HOST ?? '', '--port', settings.PORT ?? '', '--strictPort'];
      // The dev server serves the sources with hot reload; otherwise the build in dataDir.
      return {
        cwd: dir,
        args: dev
          ? [vite, ...listen, '--clearScreen', 'false']
          : [vite, 'preview', '--outDir', dataDir, ...listen],
      };
    },
    async prepare({ settings, dataDir }, log) {
      const { ensureWebBuild } = await import('./web-build.ts');
      await ensureWebBuild({
        webDir: packageDir('@cloud-sound/web'),
        outDir: dataDir,
        apiUrl: settings.VITE_API_URL ?? '',
        log,
      });
    },
  },
  api: nodeProgram<ApiSettings>({
    label: 'the API',
    title: 'API',
    note: (url) => `(reference: ${url}/docs)`,
    packageName: '@cloud-sound/server',
    dataFolder: 'server',
    healthPath: '/health',
    nodeFlags: API_NODE_FLAGS,
    // Migrations are read at start-up from the top-level drizzle/ folder.
    alsoWatch: [join(REPO_DIR, 'drizzle')],
    parseSettings: loadApiSettings,
    wiring(wiring) {
      const web = wiring.publicUrl('web');
      const settings: ApiSettings = {
        PORT: String(wiring.port('api')),
        HOST: wiring.host,
        DATA_DIR: wiring.dataDir('api'),
        USER_API_URL: wiring.url('user_api'),
        FILE_STORE_URL: wiring.url('file_store'),
        PUBLIC_URL: wiring.publicUrl('api'),
        DATABASE_URL: wiring.databaseUrl,
      };
      if (web) {
        // The web app's origin as its URL says, and by the loopback address it binds.
        settings.CORS_ORIGINS = [...new Set([web, wiring.url('web')])].join(',');
      }
      return settings;
    },
    needs: { USER_API_URL: 'user_api', FILE_STORE_URL: 'file_store' },
  }),
  file_store: backendProgram<FileStoreSettings>('file_store', {
    packageName: '@cloud-sound/file-store',
    dataFolder: 'file-store',
    parseSettings: loadFileStoreSettings,
  }),
  user_api: backendProgram<UserApiSettings>('user_api', {
    note: () => '(loopback only)',
    packageName: '@cloud-sound/user-api',
    dataFolder: 'user-api',
    parseSettings: loadUserApiSettings,
  }),
};

export const PROGRAM_NAMES = Object.keys(PROGRAMS) as ProgramName[];

export function isProgramName(name: string): name is ProgramName {
  return Object.hasOwn(PROGRAMS, name);
}

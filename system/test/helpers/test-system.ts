import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '@cloud-sound/server/db';
import { expectConsistent, openApiDatabase } from '@cloud-sound/server/testing/audit';
import { createTestDatabase } from '@cloud-sound/server/testing/database';
import { type Program, type ProgramSettings, startSystem } from '@cloud-sound/system';

/**
 * The back end as production runs it, for tests that need the programs as processes of their
 * own (to kill, signal and measure them): user_api, file_store and the API, each a child
 * process on a free port, on the run's own database (a fresh Postgres database when
 * TEST_DATABASE_URL is set, else the API's PGlite) and a temporary data folder that outlives
 * each API process, so a restarted API finds what the killed one left behind.
 * Set DEBUG_TEST_LOGS=1 to see the programs' logs.
 */
export interface TestSystem {
  /** The API process (the first replica when there are several). */
  api: Program<'api'>;
  /** Every API process: one, or those `apiReplicas` asked for. */
  replicas: Program<'api'>[];
  /** How clients reach the API: the gateway in front of several replicas, else the API. */
  apiUrl: string;
  userApi: Program<'user_api'>;
  fileStore: Program<'file_store'>;
  /** The run's database on TEST_DATABASE_URL's server; undefined means PGlite in the API's folder. */
  databaseUrl: string | undefined;
  /** Registers a fresh user id with user_api and returns it. */
  createUser(): Promise<number>;
  /**
   * Runs `use` on the API's database from the test. Under PGlite only one process may open
   * it, so the API must have exited first.
   */
  withDatabase<T>(use: (db: Database) => Promise<T>): Promise<T>;
  /** Every row of the sounds table (the API stopped, under PGlite). */
  readSounds(): Promise<SoundRow[]>;
  /** The clean audit of the server's testing/audit, on this database and file_store (API stopped). */
  expectConsistent(): Promise<void>;
  /** Stops every program and removes everything the system made. */
  close(): Promise<void>;
}

export type SoundRow = Awaited<ReturnType<Database['query']['soundsTable']['findMany']>>[number];

/**
 * Every request of a test comes from 127.0.0.1: the per-address limits are lifted unless a
 * test sets them. Audio URLs name a host of their own. Processing (ffmpeg for every upload)
 * runs only where a test turns it on.
 */
const TEST_API_SETTINGS: ProgramSettings['api'] = {
  PUBLIC_URL: 'http://cloud-sound.test',
  LOG_LEVEL: 'info',
  PROCESSING_CONCURRENCY: '0',
  RATE_LIMIT_USER_CREATIONS: '1000000',
  RATE_LIMIT_UPLOADS: '1000000',
  RATE_LIMIT_FAILED_IDENTITY_CHECKS: '1000000',
  CLIENT_MAX_UPLOADS: '1000000',
  CLIENT_MAX_PLAYBACKS: '1000000',
  CLIENT_MAX_EVENT_STREAMS: '1000000',
};

let nextUserId = 1000 + Math.floor(Math.random() * 1_000_000_000);

/**
 * Starts a test system. `api` adds to or overrides the API's test settings and `apiNodeArgs`
 * adds node flags, for every run of it; `sharing` gives another test system whose user_api
 * and file_store this one's API uses (only an API is started then, with a database and data
 * folder of its own); `apiReplicas` runs that many API processes behind the launcher's nginx
 * gateway, on Postgres.
 */
export async function startTestSystem(
  options: {
    api?: ProgramSettings['api'];
    apiNodeArgs?: string[];
    sharing?: TestSystem;
    apiReplicas?: number;
  } = {},
): Promise<TestSystem> {
  const replicated = (options.apiReplicas ?? 1) > 1;
  const database = await createTestDatabase({ postgres: replicated });
  const dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-test-system-'));
  const quiet = { LOG_LEVEL: 'warn' };
  const shared = options.sharing;
  const common = {
    dataDir,
    ports: 'free' as const,
    databaseUrl: database.url,
    logs: process.env.DEBUG_TEST_LOGS ? ('pretty' as const) : ('none' as const),
    // A clean environment: nothing from the test runner's (NODE_OPTIONS, PORT…) leaks in.
    environment: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
    nodeArgs: { api: options.apiNodeArgs ?? [] },
    apiReplicas: options.apiReplicas,
  };
  const cleanUp = async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  };

  let stopSystem: () => Promise<void>;
  let api: Program<'api'>;
  let replicas: Program<'api'>[];
  let apiUrl: string;
  let userApi: Program<'user_api'>;
  let fileStore: Program<'file_store'>;
  try {
    if (shared) {
      const system = await startSystem({
        ...common,
        programs: ['api'],
        settings: {
          api: {
            ...TEST_API_SETTINGS,
            USER_API_URL: shared.userApi.url,
            FILE_STORE_URL: shared.fileStore.url,
            ...options.api,
          },
        },
      });
      ({ api } = system.programs);
      ({ apiReplicas: replicas } = system);
      apiUrl = system.apiUrl as string;
      ({ userApi, fileStore } = shared);
      stopSystem = () => system.stop(1_000);
    } else {
      const system = await startSystem({
        ...common,
        programs: ['user_api', 'file_store', 'api'],
        settings: {
          api: { ...TEST_API_SETTINGS, ...options.api },
          user_api: quiet,
          file_store: quiet,
        },
      });
      ({ api, user_api: userApi, file_store: fileStore } = system.programs);
      ({ apiReplicas: replicas } = system);
      apiUrl = system.apiUrl as string;
      stopSystem = () => system.stop(1_000);
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }

  const testSystem: TestSystem = {
    api,
    replicas,
    apiUrl,
    userApi,
    fileStore,
    databaseUrl: database.url,
    async createUser() {
      nextUserId += 1;
      const response = await fetch(`${userApi.url}/user`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: nextUserId }),
      });
      if (response.status !== 201) throw new Error(`user_api answered ${response.status}`);
      return nextUserId;
    },
    async withDatabase(use) {
      const handle = await openApiDatabase({ databaseUrl: database.url, apiDataDir: api.dataDir });
      try {
        return await use(handle.db);
      } finally {
        await handle.close();
      }
    },
    readSounds() {
      return testSystem.withDatabase((db) => db.query.soundsTable.findMany());
    },
    expectConsistent() {
      return testSystem.withDatabase((db) =>
        expectConsistent({ db, fileStore: { url: fileStore.url, dataDir: fileStore.dataDir } }),
      );
    },
    async close() {
      await stopSystem();
      await cleanUp();
    },
  };
  return testSystem;
}

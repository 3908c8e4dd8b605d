import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/client.ts';
import { expectConsistent, openApiDatabase } from './audit.ts';
import { type Backends, type ChildApi, spawnApi, startBackends } from './child.ts';
import { createTestDatabase } from './database.ts';

/**
 * The setup shared by the tests that run the API as a child process (crash, shutdown, soak):
 * the real backends in-process, the run's own database, and an API data folder that outlives
 * each API process, so a restarted API finds what the killed one left behind.
 */
export interface ChildSystem {
  backends: Backends;
  /** The run's database on TEST_DATABASE_URL's server; undefined means PGlite in apiDataDir. */
  databaseUrl: string | undefined;
  apiDataDir: string;
  /** Starts an API process on this system; `env` adds settings or overrides the base ones. */
  spawnApi(env?: Record<string, string | undefined>): Promise<ChildApi>;
  /**
   * Runs `use` on the API's database from the test. Under PGlite only one process may open
   * it, so every API process must have exited first.
   */
  withDatabase<T>(use: (db: Database) => Promise<T>): Promise<T>;
  /** The clean audit of helpers/audit.ts, on this database and file_store (APIs stopped). */
  expectConsistent(): Promise<void>;
  /** Kills the API processes still running and removes everything the system made. */
  close(): Promise<void>;
}

/** `baseEnv` is given to every API process this system starts (e.g. reaper settings). */
export async function startChildSystem(
  baseEnv: Record<string, string | undefined> = {},
): Promise<ChildSystem> {
  const backends = await startBackends();
  const database = await createTestDatabase();
  const apiDataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-child-api-'));
  const started: ChildApi[] = [];

  const system: ChildSystem = {
    backends,
    databaseUrl: database.url,
    apiDataDir,
    async spawnApi(env = {}) {
      const api = await spawnApi({
        DATA_DIR: apiDataDir,
        DATABASE_URL: database.url,
        USER_API_URL: backends.userApi.url,
        FILE_STORE_URL: backends.fileStore.url,
        ...baseEnv,
        ...env,
      });
      started.push(api);
      return api;
    },
    async withDatabase(use) {
      const handle = await openApiDatabase({ databaseUrl: database.url, apiDataDir });
      try {
        return await use(handle.db);
      } finally {
        await handle.close();
      }
    },
    expectConsistent() {
      return system.withDatabase((db) => expectConsistent({ db, fileStore: backends.fileStore }));
    },
    async close() {
      await Promise.all(started.map((api) => api.stop('SIGKILL')));
      await backends.close();
      await database.drop();
      await rm(apiDataDir, { recursive: true, force: true });
    },
  };
  return system;
}

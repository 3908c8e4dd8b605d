import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp as buildFileStore } from '../../../backends/file-store/src/app.ts';
import { loadConfig as loadFileStoreConfig } from '../../../backends/file-store/src/config.ts';
import { buildApp as buildUserApi } from '../../../backends/user-api/src/app.ts';
import { loadConfig as loadUserApiConfig } from '../../../backends/user-api/src/config.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createTestDatabase } from './database.ts';

/** One of the internal services, running in-process on a fixed port so it can be restarted. */
export interface RunningBackend {
  url: string;
  dataDir: string;
  /** Closes the service, cutting any connection still open (like a crash, for the client). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
}

export interface TestSystem {
  api: FastifyInstance;
  /** Base URL of the API, listening on a free port. */
  url: string;
  userApi: RunningBackend;
  fileStore: RunningBackend;
  /** How many files file_store holds, read from its data folder. */
  countStoredFiles(): Promise<number>;
  /** Registers a fresh user id with user_api and returns it. */
  createUser(): Promise<number>;
  close(): Promise<void>;
}

let nextUserId = 1000 + Math.floor(Math.random() * 1_000_000);

/**
 * The whole back end as production runs it: the real user_api and file_store programs, a real
 * database (Postgres when TEST_DATABASE_URL is set, else PGlite) and the API built with the
 * production options, each on a free port. `env` overrides API settings.
 */
export async function startSystem(env: Record<string, string> = {}): Promise<TestSystem> {
  const root = await mkdtemp(join(tmpdir(), 'cloud-sound-test-'));
  const userApi = await startBackend(join(root, 'user-api'), async (dataDir) =>
    buildUserApi(loadUserApiConfig({ DATA_DIR: dataDir }), { logger: false }),
  );
  const fileStore = await startBackend(join(root, 'file-store'), async (dataDir) =>
    buildFileStore(loadFileStoreConfig({ DATA_DIR: dataDir }), { logger: false }),
  );
  const database = await createTestDatabase();

  const config = loadConfig({
    DATA_DIR: join(root, 'api'),
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    USER_API_URL: userApi.url,
    FILE_STORE_URL: fileStore.url,
    PUBLIC_URL: 'http://cloud-sound.test',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const api = await buildApp(config, { logger: process.env.DEBUG_TEST_LOGS ? true : false });
  const address = await api.listen({ port: 0, host: '127.0.0.1' });

  return {
    api,
    url: address,
    userApi,
    fileStore,
    async countStoredFiles() {
      return (await readdir(join(fileStore.dataDir, 'files')).catch(() => [])).length;
    },
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
    async close() {
      await api.close();
      await Promise.all([userApi.stop(), fileStore.stop()]);
      await database.drop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function startBackend(
  dataDir: string,
  build: (dataDir: string) => Promise<FastifyInstance>,
): Promise<RunningBackend> {
  let app: FastifyInstance | undefined;
  let port = 0;
  async function start() {
    app = await build(dataDir);
    const address = await app.listen({ port, host: '127.0.0.1' });
    port = Number(new URL(address).port);
  }
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    start,
    async stop() {
      if (!app) return;
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      app = undefined;
    },
  };
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp as buildFileStore } from '@cloud-sound/file-store';
import { loadConfig as loadFileStoreConfig } from '@cloud-sound/file-store/settings';
import { buildApp as buildUserApi } from '@cloud-sound/user-api';
import { loadConfig as loadUserApiConfig } from '@cloud-sound/user-api/settings';
import type { FastifyInstance } from 'fastify';

/** One of the internal services, running in-process on a fixed port so it can be restarted. */
export interface RunningBackend {
  url: string;
  dataDir: string;
  /** Closes the service, cutting any connection still open (like a crash, for the client). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** How many TCP connections it holds open right now. */
  openConnections(): Promise<number>;
}

/** The real user_api and file_store programs, each on a free port with its own data folder. */
export interface Backends {
  /** A temporary folder for this run; removed by close(). */
  root: string;
  userApi: RunningBackend;
  fileStore: RunningBackend;
  /** Registers a fresh user id with user_api and returns it. */
  createUser(): Promise<number>;
  close(): Promise<void>;
}

let nextUserId = 1000 + Math.floor(Math.random() * 1_000_000_000);

export async function startBackends(): Promise<Backends> {
  const root = await mkdtemp(join(tmpdir(), 'cloud-sound-test-'));
  const userApi = await startBackend(join(root, 'user-api'), (dataDir) =>
    buildUserApi(loadUserApiConfig({ DATA_DIR: dataDir }), { logger: false }),
  );
  const fileStore = await startBackend(join(root, 'file-store'), (dataDir) =>
    buildFileStore(loadFileStoreConfig({ DATA_DIR: dataDir }), { logger: false }),
  );
  return {
    root,
    userApi,
    fileStore,
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
      await Promise.all([userApi.stop(), fileStore.stop()]);
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
    openConnections() {
      return new Promise((resolve, reject) => {
        if (!app) return resolve(0);
        app.server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
      });
    },
    async stop() {
      if (!app) return;
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      app = undefined;
    },
  };
}

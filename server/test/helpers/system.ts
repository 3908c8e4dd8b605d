import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { type Backends, startBackends } from './backends.ts';
import { watchContract } from './contract.ts';
import { createTestDatabase } from './database.ts';
import { storedFileNames } from './file-store-temp.ts';

export type { RunningBackend } from './backends.ts';

export interface TestSystem extends Backends {
  api: FastifyInstance;
  /** Base URL of the API, listening on a free port. */
  url: string;
  /** How many files file_store holds, read from its data folder. */
  countStoredFiles(): Promise<number>;
}

/** Where the API's dependencies listen, before the API itself starts. */
export interface DependencyUrls {
  /** The test database on TEST_DATABASE_URL's server; undefined when the API uses PGlite. */
  databaseUrl: string | undefined;
  userApiUrl: string;
  fileStoreUrl: string;
}

export interface SystemOptions {
  /**
   * Runs once the dependencies are up and before the API starts; the settings it returns
   * override `env` (e.g. a fault proxy's address in place of a dependency's).
   */
  interpose?: (dependencies: DependencyUrls) => Promise<Record<string, string>>;
  /** Receives the API's log, one JSON line per call, at `info` and above (else: no log). */
  logTo?: { write(line: string): void };
}

/**
 * The whole back end as production runs it: the real user_api and file_store programs, a real
 * database (Postgres when TEST_DATABASE_URL is set, else PGlite) and the API built with the
 * production options, each on a free port. `env` overrides API settings. Set DEBUG_TEST_LOGS=1
 * to see the API's logs.
 */
export async function startSystem(
  env: Record<string, string> = {},
  options: SystemOptions = {},
): Promise<TestSystem> {
  const backends = await startBackends();
  const database = await createTestDatabase();
  const interposed = options.interpose
    ? await options.interpose({
        databaseUrl: database.url,
        userApiUrl: backends.userApi.url,
        fileStoreUrl: backends.fileStore.url,
      })
    : {};
  const config = loadConfig({
    DATA_DIR: join(backends.root, 'api'),
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    USER_API_URL: backends.userApi.url,
    FILE_STORE_URL: backends.fileStore.url,
    PUBLIC_URL: 'http://cloud-sound.test',
    LOG_LEVEL: 'silent',
    // Processing (ffmpeg for every upload) runs only in the tests about it.
    PROCESSING_CONCURRENCY: '0',
    // Every test talks from 127.0.0.1; only the tests of the per-address limits want them.
    RATE_LIMIT_USER_CREATIONS: '1000000',
    RATE_LIMIT_UPLOADS: '1000000',
    RATE_LIMIT_FAILED_IDENTITY_CHECKS: '1000000',
    CLIENT_MAX_UPLOADS: '1000000',
    CLIENT_MAX_PLAYBACKS: '1000000',
    CLIENT_MAX_EVENT_STREAMS: '1000000',
    ...env,
    ...interposed,
  });
  const api = await buildApp(config, {
    logger: options.logTo
      ? { level: 'info', stream: options.logTo }
      : !!process.env.DEBUG_TEST_LOGS,
  });
  const contract = watchContract(api);
  const url = await api.listen({ port: 0, host: '127.0.0.1' });

  return {
    ...backends,
    api,
    url,
    async countStoredFiles() {
      return (await storedFileNames(backends.fileStore.dataDir)).length;
    },
    async close() {
      await api.close();
      await backends.close();
      await database.drop();
      // Every answer the tests got must be one the OpenAPI document describes (issue 13).
      expect(contract.violations(), 'answers that break the OpenAPI document').toEqual([]);
    },
  };
}

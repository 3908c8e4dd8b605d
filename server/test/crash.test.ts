import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sounds } from '../src/db/schema.ts';
import { expectConsistent, openApiDatabase } from './helpers/audit.ts';
import {
  type Backends,
  fileStoreTempBytes,
  killAllApis,
  spawnApi,
  startBackends,
  streamWavUpload,
  waitUntil,
} from './helpers/child.ts';
import { createTestDatabase } from './helpers/database.ts';
import { json } from './helpers/http.ts';

/**
 * The API process killed (SIGKILL: no cleanup code runs) in the middle of an upload leaves an
 * `uploading` row behind; the next API process's reaper must finish the job.
 */

const MiB = 1024 * 1024;

let backends: Backends;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let apiDataDir: string;
beforeEach(async () => {
  backends = await startBackends();
  database = await createTestDatabase();
  apiDataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-crash-api-'));
});
afterEach(async () => {
  await killAllApis();
  await backends?.close();
  await database?.drop();
  await rm(apiDataDir, { recursive: true, force: true });
});

function apiEnv(extra: Record<string, string>) {
  return {
    DATA_DIR: apiDataDir,
    DATABASE_URL: database.url,
    USER_API_URL: backends.userApi.url,
    FILE_STORE_URL: backends.fileStore.url,
    REAPER_STALE_AFTER_MS: '1000',
    ...extra,
  };
}

/** Reads the rows with the API stopped (PGlite allows one process at a time). */
async function readRows() {
  const handle = await openApiDatabase({ databaseUrl: database.url, apiDataDir });
  try {
    return await handle.db.select().from(sounds);
  } finally {
    await handle.close();
  }
}

describe('the API killed mid-upload', () => {
  it('leaves nothing listed, and the restarted API reaps the abandoned upload', async () => {
    const userId = await backends.createUser();
    const first = await spawnApi(apiEnv({ REAPER_INTERVAL_MS: '3600000' }));

    let killed = false;
    const upload = streamWavUpload(first.url, {
      userId,
      dataBytes: 20 * MiB,
      beforeChunk: async (sent) => {
        if (sent < 2 * MiB || killed) return;
        await waitUntil('file_store to receive bytes', async () => {
          const [largest = 0] = await fileStoreTempBytes(backends.fileStore.dataDir);
          return largest > 256 * 1024;
        });
        killed = true;
        expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      },
    });
    await expect(upload.response).rejects.toThrow();
    expect(upload.hookError()).toBeUndefined();
    expect(killed).toBe(true);

    // What the crash left: an `uploading` row, no file (file_store dropped the partial one).
    const left = await readRows();
    expect(left.map((row) => row.status)).toEqual(['uploading']);
    const abandonedId = left[0]?.id as string;
    await waitUntil(
      'file_store to drop the partial upload',
      async () => (await fileStoreTempBytes(backends.fileStore.dataDir)).length === 0,
    );

    // The next process reaps it once it is stale: at start-up or on its (short) interval.
    const second = await spawnApi(apiEnv({ REAPER_INTERVAL_MS: '500' }));
    const list = await json<{ items: unknown[] }>(await fetch(`${second.url}/sounds`));
    expect(list.items).toEqual([]);
    expect((await fetch(`${second.url}/sounds/${abandonedId}`)).status).toBe(404);
    await second.waitForLog(
      (line) => line.msg === 'reaper removed an unfinished sound' && line.soundId === abandonedId,
    );
    expect((await second.stop('SIGTERM')).code).toBe(0);

    const handle = await openApiDatabase({ databaseUrl: database.url, apiDataDir });
    try {
      expect(await handle.db.select().from(sounds)).toEqual([]);
      await expectConsistent({ db: handle.db, fileStore: backends.fileStore });
    } finally {
      await handle.close();
    }
  });
});

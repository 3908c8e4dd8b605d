import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sounds } from '../src/db/schema.ts';
import { expectConsistent, openApiDatabase } from './helpers/audit.ts';
import {
  type Backends,
  connectionRefused,
  killAllApis,
  sha256OfBody,
  sleep,
  spawnApi,
  startBackends,
  streamWavUpload,
  waitUntil,
} from './helpers/child.ts';
import { createTestDatabase } from './helpers/database.ts';
import { json } from './helpers/http.ts';

/**
 * Issue 3, graceful shutdown: on SIGTERM the API stops accepting connections, lets the
 * requests in flight finish, closes the database and its clients, and exits 0 — all within
 * main.ts's bound (close-with-grace, 10 s).
 */

const MiB = 1024 * 1024;
const GRACE_MS = 10_000;

let backends: Backends;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let apiDataDir: string;
beforeAll(async () => {
  backends = await startBackends();
  database = await createTestDatabase();
  apiDataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-shutdown-api-'));
});
afterAll(async () => {
  await killAllApis();
  await backends?.close();
  await database?.drop();
  if (apiDataDir) await rm(apiDataDir, { recursive: true, force: true });
});

describe('SIGTERM', () => {
  it('finishes the upload in flight with 201, refuses new connections, exits 0 in time', async () => {
    const api = await spawnApi({
      DATA_DIR: apiDataDir,
      DATABASE_URL: database.url,
      USER_API_URL: backends.userApi.url,
      FILE_STORE_URL: backends.fileStore.url,
    });
    const userId = await backends.createUser();

    let signalledAt = 0;
    let refusedWhileUploading = false;
    const upload = streamWavUpload(api.url, {
      userId,
      dataBytes: 4 * MiB,
      chunkBytes: 64 * 1024,
      beforeChunk: async (sent) => {
        // A slow client: ~2.5 s for the whole file.
        await sleep(40);
        if (sent < MiB || signalledAt) return;
        signalledAt = Date.now();
        api.process.kill('SIGTERM');
        // The upload is held here, mid-body, until the listening socket is gone.
        await waitUntil('the API to stop accepting connections', () => connectionRefused(api.port));
        refusedWhileUploading = true;
      },
    });

    const response = await upload.response;
    expect(signalledAt).toBeGreaterThan(0);
    expect(refusedWhileUploading).toBe(true);
    expect(response.status).toBe(201);
    const sound = await json<{ id: string; size: number }>(response);
    expect(sound.size).toBe(upload.fileBytes);
    expect(await connectionRefused(api.port)).toBe(true);

    const exit = await Promise.race([
      api.exited,
      sleep(GRACE_MS + 5_000).then(() => 'still running' as const),
    ]);
    expect(exit, `the API's last output:\n${api.output().slice(-3000)}`).toEqual({
      code: 0,
      signal: null,
    });
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS);
    // A clean close, not close-with-grace's timeout (which would also log this).
    expect(api.output()).not.toContain('killed by timeout');

    // What it accepted before stopping is complete: a ready row, the whole file.
    const handle = await openApiDatabase({ databaseUrl: database.url, apiDataDir });
    try {
      const rows = await handle.db.select().from(sounds);
      expect(rows.map((row) => [row.id, row.status])).toEqual([[sound.id, 'ready']]);
      await expectConsistent({ db: handle.db, fileStore: backends.fileStore });
      const stored = await fetch(`${backends.fileStore.url}/files/${rows[0]?.storageKey}`);
      expect(await sha256OfBody(stored)).toEqual({
        sha256: upload.fileSha256,
        bytes: upload.fileBytes,
      });
    } finally {
      await handle.close();
    }
  });
});

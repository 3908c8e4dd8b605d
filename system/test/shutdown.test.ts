import { json } from '@cloud-sound/server/testing/http';
import { sha256OfBody, streamWavUpload } from '@cloud-sound/server/testing/streamed-upload';
import { sleep, waitUntil } from '@cloud-sound/server/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionRefused } from './helpers/connections.ts';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * Issue 3, graceful shutdown: on SIGTERM the API stops accepting connections, lets the
 * requests in flight finish, closes the database and its clients, and exits 0 — all within
 * main.ts's bound (close-with-grace, 10 s).
 */

const MiB = 1024 * 1024;
const GRACE_MS = 10_000;

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(() => system?.close());

describe('SIGTERM', () => {
  it('finishes the upload in flight with 201, refuses new connections, exits 0 in time', async () => {
    const api = system.api;
    const userId = await system.createUser();

    let signalledAt = 0;
    let exiting: Promise<unknown> | undefined;
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
        exiting = api.kill('SIGTERM');
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
      exiting,
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
    const rows = await system.readSounds();
    expect(rows.map((row) => [row.id, row.status])).toEqual([[sound.id, 'ready']]);
    await system.expectConsistent();
    const stored = await fetch(`${system.fileStore.url}/files/${rows[0]?.storageKey}`);
    expect(await sha256OfBody(stored)).toEqual({
      sha256: upload.fileSha256,
      bytes: upload.fileBytes,
    });
  });
});

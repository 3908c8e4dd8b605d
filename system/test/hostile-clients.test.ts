// Issue 6: what a hostile client does to the connection itself (a gigabyte upload, slow-loris,
// idle and stalled connections), against the API as its own process: timeouts and memory are
// the process's own, not shared with the test. The hostile requests themselves are in the
// server's hostile-input.test.ts.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { wavTone } from '@cloud-sound/server/testing/audio';
import { fileStoreTempBytes } from '@cloud-sound/server/testing/file-store-temp';
import { uploadSound } from '@cloud-sound/server/testing/http';
import { residentBytes } from '@cloud-sound/server/testing/process-memory';
import { exchange } from '@cloud-sound/server/testing/raw-connection';
import { streamWavUpload } from '@cloud-sound/server/testing/streamed-upload';
import { waitUntil } from '@cloud-sound/server/testing/wait';
import type { Program } from '@cloud-sound/system';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

const MiB = 1024 * 1024;

describe('hostile clients, against the API as its own process', () => {
  // Short enough for a test, and far apart from the 30 s a client would need to notice.
  const HEADERS_TIMEOUT_MS = 1_000;
  const SOCKET_IDLE_TIMEOUT_MS = 1_500;
  const MAX_UPLOAD_BYTES = 8 * MiB;
  /** Far longer than either timeout, far shorter than Node's defaults (60 s, 5 min). */
  const WAIT_MS = 10_000;

  let system: TestSystem;
  let api: Program<'api'>;
  let userId: number;
  beforeAll(async () => {
    system = await startTestSystem({
      api: {
        HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        SOCKET_IDLE_TIMEOUT_MS: String(SOCKET_IDLE_TIMEOUT_MS),
        MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
        LOG_LEVEL: 'warn',
      },
    });
    api = system.api;
    userId = await system.createUser();
  }, 60_000);
  afterAll(() => system?.close());

  const storedFiles = async () =>
    (await readdir(join(system.fileStore.dataDir, 'files')).catch(() => [])).length;

  it('cuts a 1 GiB upload off at the limit with 413, without reading it all or holding it', async () => {
    // Warm-up: the first upload loads the multipart, sniffing and duration code once.
    expect((await uploadSound(api.url, { userId, bytes: wavTone() })).status).toBe(201);
    const storedBefore = await storedFiles();
    const baseline = await residentBytes(api.pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      residentBytes(api.pid).then(
        (bytes) => {
          peak = Math.max(peak, bytes);
        },
        () => {},
      );
    }, 50);

    const upload = streamWavUpload(api.url, { userId, dataBytes: 1024 * MiB, chunkBytes: MiB });
    const reply = await upload.response;
    clearInterval(sampler);
    peak = Math.max(peak, await residentBytes(api.pid));

    expect(reply.status).toBe(413);
    expect(await reply.json()).toMatchObject({ code: 'FILE_TOO_LARGE' });
    // The answer came while the client was still sending: the API stopped reading near the
    // limit instead of draining the gigabyte.
    expect(upload.sentBytes()).toBeLessThan(128 * MiB);
    const growth = peak - baseline;
    expect(growth, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);

    await waitUntil('file_store to drop the partial upload', async () => {
      return (await fileStoreTempBytes(system.fileStore.dataDir)).length === 0;
    });
    expect(await storedFiles()).toBe(storedBefore);
    const listed = (await (await fetch(`${api.url}/sounds?userId=${userId}`)).json()) as {
      items: unknown[];
    };
    expect(listed.items).toHaveLength(1);
  }, 60_000);

  it('answers 408 and closes a connection that dribbles its headers (slow-loris)', async () => {
    const { reply, closed } = await exchange(api.url, 'GET /sounds HTTP/1.1\r\nHost: x\r\n', {
      // Never idle, so only the headers deadline can end it.
      keepWriting: 'X-Slow: loris\r\n',
      waitMs: WAIT_MS,
    });
    expect(closed).toBe(true);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that opens and sends nothing', async () => {
    const { closed } = await exchange(api.url, '', { waitMs: WAIT_MS });
    expect(closed).toBe(true);
  });

  it('closes a connection that sends its headers and then stalls the body', async () => {
    const { closed } = await exchange(
      api.url,
      'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":',
      { waitMs: WAIT_MS },
    );
    expect(closed).toBe(true);
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });

  it('closes an upload that stalls midway, and keeps nothing of it', async () => {
    const storedBefore = await storedFiles();
    const head = Buffer.concat([
      Buffer.from(
        '--abc\r\nContent-Disposition: form-data; name="file"; filename="stall.wav"\r\n\r\n',
      ),
      wavTone({ seconds: 10 }).subarray(0, 100_000),
    ]);
    const { closed } = await exchange(
      api.url,
      Buffer.concat([
        Buffer.from(
          `POST /sounds HTTP/1.1\r\nHost: x\r\nX-User-Id: ${userId}\r\nContent-Type: multipart/form-data; boundary=abc\r\nContent-Length: ${10 * MiB}\r\n\r\n`,
        ),
        head,
      ]),
      { waitMs: WAIT_MS },
    );
    expect(closed).toBe(true);
    await waitUntil('the stalled upload to be cleaned up', async () => {
      const temp = await fileStoreTempBytes(system.fileStore.dataDir);
      return temp.length === 0 && (await storedFiles()) === storedBefore;
    });
    const listed = (await (await fetch(`${api.url}/sounds?userId=${userId}`)).json()) as {
      items: Array<{ filename: string }>;
    };
    expect(listed.items.map((sound) => sound.filename)).not.toContain('stall.wav');
  });
});

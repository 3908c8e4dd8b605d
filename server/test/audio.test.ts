import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, wavHeader, wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

let system: TestSystem;
let bytes: Buffer;
let soundId: string;
let audioUrl: string;

beforeAll(async () => {
  system = await startSystem();
  const userId = await system.createUser();
  bytes = wavTone({ seconds: 1 });
  const response = await uploadSound(system.url, {
    userId,
    bytes,
    filename: 'Blåbär "live"\r.wav',
  });
  soundId = (await json<{ id: string }>(response)).id;
  audioUrl = `${system.url}/sounds/${soundId}/audio`;
});
afterAll(() => system?.close());

const get = (headers: Record<string, string> = {}, method = 'GET') =>
  fetch(audioUrl, { method, headers });

describe('GET /sounds/:id/audio', () => {
  it('answers 200 with every byte, the real type, its length and range support', async () => {
    const response = await get();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('etag')).toBeTruthy();
    expect(response.headers.get('cache-control')).toContain('max-age=31536000');
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('names the original file inline, safely, with non-ASCII in filename*', async () => {
    const disposition = (await get()).headers.get('content-disposition') ?? '';
    expect(disposition.startsWith('inline;')).toBe(true);
    expect(disposition).not.toMatch(/[\r\n]/);
    expect(disposition).toContain("filename*=UTF-8''Bl%C3%A5b%C3%A4r%20%22live%22.wav");
  });

  it.each([
    ['bytes=0-', 0, bytes_length() - 1],
    ['bytes=0-1', 0, 1],
    ['bytes=100-1099', 100, 1099],
    ['bytes=-500', bytes_length() - 500, bytes_length() - 1],
    ['bytes=15000-', 15000, bytes_length() - 1],
  ])('answers %s with 206 and exactly that slice', async (range, start, end) => {
    const response = await get({ range });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${bytes.length}`);
    expect(response.headers.get('content-length')).toBe(String(end - start + 1));
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes.subarray(start, end + 1))).toBe(
      true,
    );
  });

  it('answers an unsatisfiable range with 416 and the size', async () => {
    const response = await get({ range: `bytes=${bytes.length}-` });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    expect(await json(response)).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE' });
  });

  it('answers HEAD with the same headers and no body', async () => {
    const response = await get({}, 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    const ranged = await get({ range: 'bytes=0-1' }, 'HEAD');
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-1/${bytes.length}`);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const etag = (await get()).headers.get('etag') as string;
    const response = await get({ 'if-none-match': etag });
    expect(response.status).toBe(304);
  });

  it('serves other formats with their own type', async () => {
    const userId = await system.createUser();
    const mp3 = fixture('tone.mp3');
    const { id } = await json<{ id: string }>(
      await uploadSound(system.url, { userId, bytes: mp3, filename: 'a.mp3' }),
    );
    const response = await fetch(`${system.url}/sounds/${id}/audio`, {
      headers: { range: 'bytes=0-1' },
    });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
  });

  it('answers 404 for an unknown sound and 400 for a malformed id', async () => {
    const unknown = await fetch(`${system.url}/sounds/${randomUUID()}/audio`);
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ code: 'SOUND_NOT_FOUND' });
    const malformed = await fetch(`${system.url}/sounds/nope/audio`);
    expect(malformed.status).toBe(400);
  });

  it('aborts the upstream transfer when the listener goes away', async () => {
    const userId = await system.createUser();
    const large = Buffer.concat([wavHeader(32 * 1024 * 1024), Buffer.alloc(32 * 1024 * 1024)]);
    const { id } = await json<{ id: string }>(
      await uploadSound(system.url, { userId, bytes: large }),
    );
    const listener = new AbortController();
    const response = await fetch(`${system.url}/sounds/${id}/audio`, { signal: listener.signal });
    expect(response.status).toBe(200);
    // Nothing is read: backpressure holds the transfer open, file_store mid-response.
    const during = await system.fileStore.openConnections();
    listener.abort();
    await expect
      .poll(() => system.fileStore.openConnections(), { timeout: 5000 })
      .toBeLessThan(during);
  });

  it('answers 503 STORAGE_UNAVAILABLE while file_store is down', async () => {
    await system.fileStore.stop();
    try {
      const response = await get();
      expect(response.status).toBe(503);
      expect(await json(response)).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await system.fileStore.start();
    }
    expect((await get()).status).toBe(200);
  });
});

function bytes_length(): number {
  // wavTone({ seconds: 1 }) at 8 kHz, 16-bit mono: 44-byte header + 16000 bytes.
  return 16044;
}

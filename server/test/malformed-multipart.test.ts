import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
import { json } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

let system: TestSystem;
let userId: number;
beforeAll(async () => {
  system = await startSystem();
  userId = await system.createUser();
});
afterAll(() => system?.close());

const post = (contentType: string, body: string | Uint8Array) =>
  fetch(`${system.url}/sounds`, {
    method: 'POST',
    headers: { 'x-user-id': String(userId), 'content-type': contentType },
    body,
  });

describe('malformed multipart uploads', () => {
  it.each([
    ['no boundary', 'multipart/form-data', '--x\r\n'],
    ['a body that is not multipart', 'multipart/form-data; boundary=abc', 'hello'],
    [
      'an unterminated part',
      'multipart/form-data; boundary=abc',
      '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF',
    ],
    ['an empty body', 'multipart/form-data; boundary=abc', ''],
  ])(
    'answers 4xx with the error shape for %s, and stores nothing',
    async (_name, contentType, body) => {
      const response = await post(contentType, body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      const reply = await json(response);
      expect(reply).toEqual({
        statusCode: response.status,
        error: expect.any(String),
        message: expect.any(String),
        code: expect.any(String),
      });
      expect(await system.countStoredFiles()).toBe(0);
    },
  );

  it('keeps answering after a client vanishes midway through an upload, and leaves nothing', async () => {
    const url = new URL(system.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    const head = wavTone({ seconds: 10 });
    socket.write(
      `POST /sounds HTTP/1.1\r\nHost: x\r\nX-User-Id: ${userId}\r\nContent-Type: multipart/form-data; boundary=abc\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const part = Buffer.concat([
      Buffer.from('--abc\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'),
      head.subarray(0, 100_000),
    ]);
    socket.write(`${part.length.toString(16)}\r\n`);
    socket.write(part);
    socket.write('\r\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const listed = await json<{ items: unknown[] }>(await fetch(`${system.url}/sounds`));
    expect(listed.items).toEqual([]);
    expect(await system.countStoredFiles()).toBe(0);
    expect((await fetch(`${system.url}/health`)).status).toBe(200);
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  download,
  errorCode,
  patternBytes,
  startFileStore,
  storedFiles,
  tempFiles,
  upload,
  waitFor,
} from './helpers.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

function postRaw(url: string, contentType: string | undefined, body: string) {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  return fetch(`${url}/files/`, { method: 'POST', headers, body });
}

describe('POST /files/', () => {
  it('works with the README’s curl commands', async () => {
    const { url, root } = await startFileStore();
    const sound = randomBytes(300 * 1024);
    await writeFile(join(root, 'my-sound.mp3'), sound);

    const uploaded = await run('curl', ['-sS', '-F', 'my-id-567=@my-sound.mp3', `${url}/files/`], {
      cwd: root,
    });
    expect(JSON.parse(uploaded.stdout)).toEqual({ ids: ['my-id-567'] });

    await run('curl', ['-sS', '-f', '-o', 'downloaded.mp3', `${url}/files/my-id-567`], {
      cwd: root,
    });
    expect(await readFile(join(root, 'downloaded.mp3'))).toEqual(sound);
  });

  it('replies 201 with the stored ids, also at /files without the slash', async () => {
    const { url } = await startFileStore();
    const response = await upload(url, { first: 'one' }, '/files');
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ids: ['first'] });
    expect((await download(url, 'first')).toString()).toBe('one');
  });

  it('overwrites an existing id', async () => {
    const { url, dataDir } = await startFileStore();
    await upload(url, { song: 'old version' });
    expect((await upload(url, { song: 'new' })).status).toBe(201);
    expect((await download(url, 'song')).toString()).toBe('new');
    expect(await storedFiles(dataDir)).toHaveLength(1);
  });

  it('stores every file part of one request under its field name', async () => {
    const { url } = await startFileStore();
    const files = { a: patternBytes(10), 'b/c': patternBytes(2000, 3), 'ü ñ €': 'x' };
    const response = await upload(url, files);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ids: ['a', 'b/c', 'ü ñ €'] });
    for (const [id, content] of Object.entries(files)) {
      expect(await download(url, id)).toEqual(Buffer.from(content));
    }
  });

  it('ignores plain text fields', async () => {
    const { url } = await startFileStore();
    const form = new FormData();
    form.append('note', 'not a file');
    form.append('song', new Blob(['bytes']), 'song.mp3');
    const response = await fetch(`${url}/files/`, { method: 'POST', body: form });
    expect(await response.json()).toEqual({ ids: ['song'] });
    expect((await fetch(`${url}/files/note`)).status).toBe(404);
  });

  it('leaves one whole file after 10 concurrent writes to one id', async () => {
    const { url, dataDir } = await startFileStore();
    const payloads = Array.from({ length: 10 }, (_, index) => Buffer.alloc(512 * 1024, index));
    const responses = await Promise.all(payloads.map((payload) => upload(url, { same: payload })));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201));

    const stored = await download(url, 'same');
    expect(payloads.some((payload) => payload.equals(stored))).toBe(true);
    expect(await storedFiles(dataDir)).toHaveLength(1);
    expect(await tempFiles(dataDir)).toEqual([]);
  });
});

describe('POST /files/ errors', () => {
  it('answers 400 NO_FILE to a form without a file part', async () => {
    const { url } = await startFileStore();
    const form = new FormData();
    form.append('note', 'text only');
    const response = await fetch(`${url}/files/`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, code: 'NO_FILE' });

    const empty = await postRaw(url, 'multipart/form-data; boundary=b', '--b--\r\n');
    expect(empty.status).toBe(400);
    expect(await errorCode(empty)).toBe('NO_FILE');
  });

  it.each([
    ['JSON', 'application/json', '{"a":1}'],
    ['raw bytes', 'application/octet-stream', 'abc'],
    ['text', 'text/plain', 'abc'],
    ['no body', undefined, ''],
  ])('answers 415 NOT_MULTIPART to %s', async (_, contentType, body) => {
    const { url } = await startFileStore();
    const response = await postRaw(url, contentType, body);
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ statusCode: 415, code: 'NOT_MULTIPART' });
  });

  it.each([
    ['a body that is not multipart', 'multipart/form-data; boundary=b', 'garbage'],
    ['no boundary', 'multipart/form-data', '--b--\r\n'],
    [
      'a part cut short',
      'multipart/form-data; boundary=b',
      '--b\r\nContent-Disposition: form-data; name="x"; filename="x"\r\n\r\nabc',
    ],
  ])('answers 400 MALFORMED_MULTIPART to %s, leaving no temp file', async (_, type, body) => {
    const { url, dataDir } = await startFileStore();
    const response = await postRaw(url, type, body);
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('MALFORMED_MULTIPART');
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(await storedFiles(dataDir)).toEqual([]);
  });

  it('refuses a file over MAX_FILE_BYTES with 413, keeping the old file', async () => {
    const { url, dataDir } = await startFileStore({ MAX_FILE_BYTES: '1000' });
    expect((await upload(url, { song: patternBytes(1000) })).status).toBe(201);

    const response = await upload(url, { song: patternBytes(5000, 1) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ statusCode: 413, code: 'FILE_TOO_LARGE' });
    expect(await download(url, 'song')).toEqual(patternBytes(1000));
    expect(await tempFiles(dataDir)).toEqual([]);
  });

  it('stops at an invalid part: earlier parts stay stored, later ones are not', async () => {
    const { url } = await startFileStore();
    const response = await upload(url, { before: 'b', ['x'.repeat(2048)]: 'long', after: 'a' });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('ID_TOO_LONG');
    expect((await download(url, 'before')).toString()).toBe('b');
    expect((await fetch(`${url}/files/after`)).status).toBe(404);
  });

  it('refuses ids that @fastify/multipart reserves (Object.prototype names)', async () => {
    const { url, dataDir } = await startFileStore();
    const response = await upload(url, { constructor: 'x' });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('ID_NOT_ALLOWED');
    expect(await storedFiles(dataDir)).toEqual([]);
  });
});

describe('an upload aborted midway', () => {
  it('keeps the old file and leaves no temp file', async () => {
    const { url, dataDir } = await startFileStore();
    await upload(url, { song: 'old version' });

    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    const boundary = 'test-boundary';
    const partHead =
      `--${boundary}\r\nContent-Disposition: form-data; name="song"; filename="s.mp3"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n';
    socket.write(
      'POST /files/ HTTP/1.1\r\nHost: localhost\r\n' +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `Content-Length: ${partHead.length + 10 * MiB}\r\n\r\n${partHead}`,
    );
    socket.write(Buffer.alloc(MiB, 'n'));
    // The upload is being written to its temp file...
    await waitFor(async () => (await tempFiles(dataDir)).length === 1, 'the temp file');
    socket.destroy();

    // ...which goes away once the server sees the connection drop.
    await waitFor(async () => (await tempFiles(dataDir)).length === 0, 'temp file removal');
    expect((await download(url, 'song')).toString()).toBe('old version');
  });

  it('is cleaned up when a fetch is aborted mid-body, too', async () => {
    const { url, dataDir } = await startFileStore();
    await upload(url, { song: 'old version' });

    const controller = new AbortController();
    const boundary = 'test-boundary';
    async function* slowBody() {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="song"; filename="s"\r\n\r\n`,
      );
      yield Buffer.alloc(MiB, 'n');
      await waitFor(async () => (await tempFiles(dataDir)).length === 1, 'the temp file');
      controller.abort();
      yield Buffer.alloc(MiB, 'n');
    }
    const request = fetch(`${url}/files/`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: ReadableStream.from(slowBody()),
      duplex: 'half',
      signal: controller.signal,
    } as RequestInit);
    await expect(request).rejects.toThrow();

    await waitFor(async () => (await tempFiles(dataDir)).length === 0, 'temp file removal');
    expect((await download(url, 'song')).toString()).toBe('old version');
  });
});

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { fileNameForId, openFileStorage } from '../src/storage.ts';
import {
  compose,
  download,
  errorCode,
  filePath,
  makeTempRoot,
  patternBytes,
  rawRequest,
  sha256,
  startFileStore,
  store,
  storedFiles,
  tempFiles,
} from './helpers.ts';

const MiB = 1024 * 1024;

/** Composes `sources` into `id`, expecting 201 and every byte in order. */
async function expectComposed(url: string, id: string, sources: Array<[string, Uint8Array]>) {
  const expected = Buffer.concat(sources.map(([, bytes]) => bytes));
  const response = await compose(url, { id, sources: sources.map(([sourceId]) => sourceId) });
  expect(response.status).toBe(201);
  expect(await response.json()).toEqual({ id, size: expected.length });
  const stored = await download(url, id);
  expect(stored.length).toBe(expected.length);
  expect(sha256(stored)).toBe(sha256(expected));
}

describe('POST /compose', () => {
  it('concatenates the sources in the order given and keeps them', async () => {
    const { url } = await startFileStore();
    const a = patternBytes(1000, 1);
    const b = patternBytes(2000, 2);
    const c = patternBytes(10, 3);
    await store(url, [
      ['part/a', a],
      ['part/b', b],
      ['part/c', c],
    ]);
    await expectComposed(url, 'whole', [
      ['part/b', b],
      ['part/a', a],
      ['part/c', c],
      ['part/a', a],
    ]);
    // The sources are the caller's to delete.
    expect(await download(url, 'part/a')).toEqual(a);
    expect(await download(url, 'part/b')).toEqual(b);
    expect(await download(url, 'part/c')).toEqual(c);
  });

  it('copies a single source, and empty ones add nothing', async () => {
    const { url } = await startFileStore();
    const only = patternBytes(5000, 7);
    const empty = new Uint8Array(0);
    await store(url, [
      ['only', only],
      ['empty', empty],
    ]);
    await expectComposed(url, 'copy', [['only', only]]);
    await expectComposed(url, 'padded', [
      ['empty', empty],
      ['only', only],
      ['empty', empty],
    ]);
    await expectComposed(url, 'nothing', [['empty', empty]]);
  });

  it('joins 300 sources', async () => {
    const { url } = await startFileStore();
    const parts = Array.from({ length: 300 }, (_, index): [string, Uint8Array] => [
      `uploads/u1/${index * 1000}.t${index}`,
      patternBytes(500 + index, index),
    ]);
    await store(url, parts);
    await expectComposed(url, 'joined', parts);
  });

  it('joins sources of a few MiB each', async () => {
    const { url, dataDir } = await startFileStore();
    const parts = Array.from({ length: 4 }, (_, index): [string, Uint8Array] => [
      `big-${index}`,
      randomBytes(3 * MiB + index),
    ]);
    await store(url, parts);
    await expectComposed(url, 'big', parts);
    expect(await tempFiles(dataDir)).toEqual([]);
  });

  it('may write onto one of its own sources: all are read before the file is replaced', async () => {
    const { url } = await startFileStore();
    const head = patternBytes(3000, 4);
    const tail = patternBytes(700, 9);
    await store(url, [
      ['growing', head],
      ['tail', tail],
    ]);
    await expectComposed(url, 'growing', [
      ['growing', head],
      ['tail', tail],
      ['growing', head],
    ]);
  });

  it('replaces an existing file atomically: a reader of the old file still reads all of it', async () => {
    const { url, dataDir } = await startFileStore();
    // Larger than what the sockets buffer, so most of it is still unread on disk below.
    const old = randomBytes(32 * MiB);
    const part = patternBytes(4000, 5);
    await store(url, [
      ['song', old],
      ['part', part],
    ]);

    const reading = await fetch(`${url}/files/song`);
    const reader = reading.body?.getReader();
    if (!reader) throw new Error('no body');
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    if (first.value) chunks.push(first.value);

    await expectComposed(url, 'song', [['part', part]]);

    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
    }
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(old));
    // The old file is gone from the folders: "part", and "song" as a composite.
    expect(await storedFiles(dataDir)).toEqual([fileNameForId('part')]);
    expect(await readdir(join(dataDir, 'composites'))).toEqual([fileNameForId('song')]);
  });

  it('is not cut by the connection’s idle limit while the copy runs', async () => {
    const root = await makeTempRoot();
    const dataDir = join(root, 'data');
    // 128 MiB: far longer to copy and flush than the idle limit below, on any disk.
    const storage = await openFileStorage(dataDir);
    const block = randomBytes(16 * MiB);
    const sources = Array.from({ length: 8 }, (_, index) => `part-${index}`);
    for (const id of sources) await storage.writeFile(id, Readable.from([block]));
    const app = await buildApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), {
      logger: false,
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    onTestFinished(() => app.close());
    app.server.timeout = 10;

    const response = await compose(url, { id: 'whole', sources });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 'whole', size: 128 * MiB });
  });

  it('lists the new file by its id', async () => {
    const { url } = await startFileStore();
    await store(url, [['p', patternBytes(10)]]);
    const id = 'sounds/ünï €/original';
    expect((await compose(url, { id, sources: ['p'] })).status).toBe(201);
    const lines = (await (await fetch(`${url}/files/`)).text()).split('\n').filter(Boolean);
    expect(lines.map((line) => JSON.parse(line))).toContainEqual({ name: fileNameForId(id), id });
  });
});

describe('POST /compose errors', () => {
  it('answers 404 SOURCE_NOT_FOUND naming a missing source; no file is created', async () => {
    const { url, dataDir } = await startFileStore();
    // A first source large enough that some of it is copied before the missing one is found.
    await store(url, [
      ['first', randomBytes(3 * MiB)],
      ['last', patternBytes(10)],
    ]);
    const response = await compose(url, { id: 'target', sources: ['first', 'gone/1', 'last'] });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No source file with id "gone/1"',
      code: 'SOURCE_NOT_FOUND',
    });
    expect((await rawRequest(url, 'GET', filePath('target'))).status).toBe(404);
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(await readdir(join(dataDir, 'ids'))).toHaveLength(2);
  });

  it('leaves an existing target untouched when a source is missing', async () => {
    const { url, dataDir } = await startFileStore();
    const old = patternBytes(2000, 6);
    await store(url, [
      ['target', old],
      ['part', randomBytes(MiB)],
    ]);
    const response = await compose(url, { id: 'target', sources: ['part', 'missing'] });
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe('SOURCE_NOT_FOUND');
    expect(await download(url, 'target')).toEqual(old);
    expect(await tempFiles(dataDir)).toEqual([]);
  });

  it('refuses a result over MAX_FILE_BYTES with 413, storing nothing; exactly the limit is fine', async () => {
    const { url, dataDir } = await startFileStore({ MAX_FILE_BYTES: '1000' });
    const parts: Array<[string, Uint8Array]> = [
      ['a', patternBytes(600, 1)],
      ['b', patternBytes(400, 2)],
      ['c', patternBytes(1, 3)],
    ];
    await store(url, parts);
    const response = await compose(url, { id: 'target', sources: ['a', 'b', 'c'] });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ statusCode: 413, code: 'FILE_TOO_LARGE' });
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(await storedFiles(dataDir)).toHaveLength(3);

    await expectComposed(url, 'target', parts.slice(0, 2));
  });

  it.each([
    ['no sources field', { id: 'x' }],
    ['no id', { sources: ['a'] }],
    ['an empty source list', { id: 'x', sources: [] }],
    ['sources as a string', { id: 'x', sources: 'a' }],
    ['a number for an id', { id: 5, sources: ['a'] }],
    ['a number among the sources', { id: 'x', sources: ['a', 5] }],
    ['an unknown field', { id: 'x', sources: ['a'], extra: true }],
    ['an array', [{ id: 'x', sources: ['a'] }]],
    ['10,001 sources', { id: 'x', sources: Array(10_001).fill('a') }],
    ['malformed JSON', '{"id": "x", '],
    ['an empty body', ''],
  ])('answers 400 INVALID_BODY to %s', async (_, body) => {
    const { url, dataDir } = await startFileStore();
    await store(url, [['a', patternBytes(10)]]);
    const response = await compose(url, body);
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('INVALID_BODY');
    expect(await storedFiles(dataDir)).toHaveLength(1);
  });

  it.each([
    ['an empty target id', { id: '', sources: ['a'] }, 'INVALID_ID'],
    ['an empty source id', { id: 'x', sources: ['a', ''] }, 'INVALID_ID'],
    ['a target id over 1 KiB', { id: 'x'.repeat(1025), sources: ['a'] }, 'ID_TOO_LONG'],
    ['a source id over 1 KiB', { id: 'x', sources: ['a', 'é'.repeat(513)] }, 'ID_TOO_LONG'],
    ['a lone surrogate', { id: 'x', sources: ['\ud800'] }, 'INVALID_ID'],
  ])('answers 400 to %s', async (_, body, code) => {
    const { url, dataDir } = await startFileStore();
    await store(url, [['a', patternBytes(10)]]);
    const response = await compose(url, body);
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe(code);
    expect(await storedFiles(dataDir)).toHaveLength(1);
  });

  it('takes a body of 10,000 ids of 1 KiB (none exists here: 404, not 413)', async () => {
    const { url } = await startFileStore();
    const sources = Array.from({ length: 10_000 }, (_, index) =>
      `${index}`.padStart(5, '0').padEnd(1024, '\u0001'),
    );
    const response = await compose(url, { id: 'é'.repeat(512), sources });
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe('SOURCE_NOT_FOUND');
  });

  it('answers 415 to a body that is not JSON', async () => {
    const { url } = await startFileStore();
    const response = await compose(url, 'id=x', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(415);
    expect(await errorCode(response)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

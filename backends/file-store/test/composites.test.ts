import { randomBytes } from 'node:crypto';
import { readdir, stat, truncate, writeFile } from 'node:fs/promises';
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
  upload,
  waitFor,
} from './helpers.ts';

/**
 * A composed file is a composite: a folder of hard links to its sources' data and a manifest,
 * never a copy. These tests read composites as clients do, and look at the folders to see that
 * nothing is copied, nested or left behind.
 */

const MiB = 1024 * 1024;
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

const compositesOf = (dataDir: string) => readdir(join(dataDir, 'composites'));

/** Composes `sources` into `id`, expecting 201 and the size of them all. */
async function composeOk(url: string, id: string, sources: string[], size: number) {
  const response = await compose(url, { id, sources });
  expect(response.status).toBe(201);
  expect(await response.json()).toEqual({ id, size });
}

/** The ids and names GET /files/ lists. */
async function listing(url: string): Promise<Array<{ name: string; id: string | null }>> {
  const text = await (await fetch(`${url}/files/`)).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A GET whose first chunk is read, and the rest when the test says. */
async function startReading(url: string, id: string) {
  const response = await fetch(`${url}${filePath(id)}`);
  expect(response.status).toBe(200);
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const first = await reader.read();
  return async () => {
    const chunks = first.value ? [first.value] : [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
    }
    return Buffer.concat(chunks);
  };
}

/**
 * Parts of 1000, 0, 2500 and 10 bytes composed into "song" (segments end at bytes 999, 999,
 * 3499 and 3509).
 */
async function composedSong() {
  const running = await startFileStore();
  const parts: Array<[string, Buffer]> = [
    ['part/0', patternBytes(1000, 1)],
    ['part/1', Buffer.alloc(0)],
    ['part/2', patternBytes(2500, 2)],
    ['part/3', patternBytes(10, 3)],
  ];
  await store(running.url, parts);
  const whole = Buffer.concat(parts.map(([, bytes]) => bytes));
  await composeOk(
    running.url,
    'song',
    parts.map(([id]) => id),
    whole.length,
  );
  return { ...running, parts, whole };
}

describe('reading a composite', () => {
  it('gives the sources’ bytes in order, with length and validators', async () => {
    const { url, whole } = await composedSong();
    const response = await rawRequest(url, 'GET', '/files/song');
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe('3510');
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers.etag).toMatch(/^"[^"]+"$/);
    expect(sha256(response.body)).toBe(sha256(whole));
  });

  it.each([
    ['inside the first segment', 'bytes=10-20', 10, 20],
    ['inside a later one (whole segments skipped)', 'bytes=1200-1300', 1200, 1300],
    ['across a border', 'bytes=990-1009', 990, 1009],
    ['across every border', 'bytes=500-3504', 500, 3504],
    ['one segment exactly', 'bytes=1000-3499', 1000, 3499],
    ['the first byte', 'bytes=0-0', 0, 0],
    ['the last byte', 'bytes=-1', 3509, 3509],
    ['the last segment from its start', 'bytes=3500-', 3500, 3509],
  ])('serves a range %s (%s)', async (_, range, start, end) => {
    const { url, whole } = await composedSong();
    const response = await rawRequest(url, 'GET', '/files/song', { range });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/3510`);
    expect(response.headers['content-length']).toBe(String(end - start + 1));
    expect(response.body).toEqual(whole.subarray(start, end + 1));
  });

  it('answers HEAD with its size and no body, and 416 past its end', async () => {
    const { url } = await composedSong();
    const head = await rawRequest(url, 'HEAD', '/files/song');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('3510');
    expect(head.body.length).toBe(0);
    const past = await rawRequest(url, 'GET', '/files/song', { range: 'bytes=3510-' });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */3510');
  });

  it('answers 304 to its own ETag, and 200 with a new ETag once composed again', async () => {
    const { url, whole } = await composedSong();
    const etag = String((await rawRequest(url, 'HEAD', '/files/song')).headers.etag);
    const unchanged = await rawRequest(url, 'GET', '/files/song', { 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);
    expect(unchanged.headers.etag).toBe(etag);
    const partEtag = (await rawRequest(url, 'HEAD', filePath('part/0'))).headers.etag;
    expect(partEtag).not.toBe(etag);

    // The same bytes again, as a new composite: a new version all the same.
    await composeOk(url, 'song', ['part/0', 'part/2', 'part/3'], 3510);
    const changed = await rawRequest(url, 'GET', '/files/song', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(sha256(changed.body)).toBe(sha256(whole));
  });

  it('opens a segment only when the stream reaches it', async () => {
    const root = await makeTempRoot();
    const storage = await openFileStorage(join(root, 'data'));
    const parts = Array.from({ length: 300 }, (_, index) => patternBytes(1000 + index, index));
    const ids = parts.map((_, index) => `part-${index}`);
    for (const [index, id] of ids.entries()) {
      await storage.writeFile(id, Readable.from([parts[index] as Buffer]));
    }
    await storage.composeFile('many', ids, NO_LIMIT);

    const descriptors = async () => (await readdir('/proc/self/fd')).length;
    const before = await descriptors();
    const file = await storage.openFile('many');
    if (!file) throw new Error('not found');
    const chunks: Buffer[] = [];
    let most = 0;
    for await (const chunk of file.createReadStream({ start: 0, end: file.size - 1 })) {
      chunks.push(chunk);
      most = Math.max(most, (await descriptors()) - before);
    }
    console.log(`at most ${most} more descriptors open while reading 300 segments`);
    expect(most).toBeLessThanOrEqual(3);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(Buffer.concat(parts)));
  });

  it('cuts the answer, never ends it short, when a segment is shorter than its manifest', async () => {
    const { url, dataDir } = await composedSong();
    // A damaged disk: the segment is the source's data, so this shortens both.
    await truncate(join(dataDir, 'files', fileNameForId('part/2')), 2000);
    // Cut after the first segment's bytes went out...
    await expect(rawRequest(url, 'GET', '/files/song')).rejects.toThrow();
    // ...or, when nothing went out yet, an error answer.
    const late = await rawRequest(url, 'GET', '/files/song', { range: 'bytes=3000-3100' });
    expect(late.status).toBe(500);
    // The bytes before it are fine.
    const first = await rawRequest(url, 'GET', '/files/song', { range: 'bytes=0-999' });
    expect(first.status).toBe(206);
  });
});

describe('a composite’s life', () => {
  it('copies nothing: each segment is a link to its source’s data', async () => {
    const { dataDir, parts } = await composedSong();
    const folder = join(dataDir, 'composites', fileNameForId('song'));
    expect((await readdir(folder)).sort()).toEqual([
      '0000000',
      '0000001',
      '0000002',
      '0000003',
      'manifest.json',
    ]);
    for (const [index, [id]] of parts.entries()) {
      const segment = await stat(join(folder, `000000${index}`));
      const source = await stat(join(dataDir, 'files', fileNameForId(id)));
      expect(segment.ino).toBe(source.ino);
      expect(segment.nlink).toBe(2);
    }
  });

  it('stays whole when every source is deleted', async () => {
    const { url, dataDir, parts, whole } = await composedSong();
    for (const [id] of parts) {
      expect((await rawRequest(url, 'DELETE', filePath(id))).status).toBe(204);
    }
    expect(await storedFiles(dataDir)).toEqual([]);
    expect(sha256(await download(url, 'song'))).toBe(sha256(whole));
    expect(await listing(url)).toEqual([{ name: fileNameForId('song'), id: 'song' }]);
  });

  it('is deleted like any file, leaving no folder, id or temp file', async () => {
    const { url, dataDir, parts } = await composedSong();
    expect((await rawRequest(url, 'DELETE', '/files/song')).status).toBe(204);
    expect((await rawRequest(url, 'GET', '/files/song')).status).toBe(404);
    const again = await rawRequest(url, 'DELETE', '/files/song');
    expect(again.status).toBe(404);
    expect(await compositesOf(dataDir)).toEqual([]);
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(await readdir(join(dataDir, 'ids'))).toHaveLength(parts.length);
    expect((await listing(url)).map((file) => file.id).sort()).toEqual(parts.map(([id]) => id));
    // The sources keep their bytes.
    for (const [id, bytes] of parts) expect(await download(url, id)).toEqual(bytes);
  });

  it('is replaced by a regular upload, and replaces one; listed once each time', async () => {
    const { url, dataDir, whole } = await composedSong();
    expect((await upload(url, { song: 'a regular file' })).status).toBe(201);
    expect((await download(url, 'song')).toString()).toBe('a regular file');
    expect(await compositesOf(dataDir)).toEqual([]);
    expect(await tempFiles(dataDir)).toEqual([]);
    let songs = (await listing(url)).filter((file) => file.id === 'song');
    expect(songs).toEqual([{ name: fileNameForId('song'), id: 'song' }]);

    await composeOk(url, 'song', ['part/0', 'part/1', 'part/2', 'part/3'], 3510);
    expect(sha256(await download(url, 'song'))).toBe(sha256(whole));
    expect(await storedFiles(dataDir)).not.toContain(fileNameForId('song'));
    expect(await tempFiles(dataDir)).toEqual([]);
    songs = (await listing(url)).filter((file) => file.id === 'song');
    expect(songs).toEqual([{ name: fileNameForId('song'), id: 'song' }]);
  });

  it('flattens a composite among the sources: composites never nest', async () => {
    const { url, dataDir, parts, whole } = await composedSong();
    const tail = patternBytes(77, 9);
    await store(url, [['tail', tail]]);
    await composeOk(url, 'album', ['song', 'tail', 'song'], 2 * whole.length + tail.length);

    const folder = join(dataDir, 'composites', fileNameForId('album'));
    const entries = await readdir(folder, { withFileTypes: true });
    expect(entries.every((entry) => entry.isFile())).toBe(true);
    expect(entries).toHaveLength(2 * parts.length + 1 + 1);

    // Gone, all of what it was made of: the album keeps every byte.
    for (const id of ['song', 'tail', ...parts.map(([id]) => id)]) {
      expect((await rawRequest(url, 'DELETE', filePath(id))).status).toBe(204);
    }
    const album = await download(url, 'album');
    expect(sha256(album)).toBe(sha256(Buffer.concat([whole, tail, whole])));
  });

  it('may be composed onto itself', async () => {
    const { url, whole } = await composedSong();
    await composeOk(url, 'song', ['song', 'part/3', 'song'], 2 * whole.length + 10);
    const expected = Buffer.concat([whole, patternBytes(10, 3), whole]);
    expect(sha256(await download(url, 'song'))).toBe(sha256(expected));
  });

  it('is still there after a restart', async () => {
    const { url, root, whole } = await composedSong();
    // A second file_store on the same folder, as after a restart.
    const restarted = await startFileStore({}, root);
    expect(restarted.url).not.toBe(url);
    expect(sha256(await download(restarted.url, 'song'))).toBe(sha256(whole));
  });

  it('yields to a regular file of its id that a crash left beside it, until deleted with it', async () => {
    const { url, dataDir } = await composedSong();
    // What a crash between a step's renames may leave: both kinds of one id.
    await writeFile(join(dataDir, 'files', fileNameForId('song')), 'the regular one');
    expect((await download(url, 'song')).toString()).toBe('the regular one');
    expect((await listing(url)).filter((file) => file.id === 'song')).toHaveLength(1);
    expect((await rawRequest(url, 'DELETE', '/files/song')).status).toBe(204);
    expect((await rawRequest(url, 'GET', '/files/song')).status).toBe(404);
    expect(await compositesOf(dataDir)).toEqual([]);
  });
});

describe('readers and writers of one id at once', () => {
  it('lets a reader of a composite read all of it while it is replaced or deleted', async () => {
    const { url, dataDir } = await startFileStore();
    // Larger than what the sockets buffer, so most of it is still unread on disk below.
    const parts = Array.from({ length: 4 }, (_, index): [string, Buffer] => [
      `part-${index}`,
      randomBytes(8 * MiB),
    ]);
    await store(url, parts);
    const ids = parts.map(([id]) => id);
    await composeOk(url, 'replaced', ids, 32 * MiB);
    await composeOk(url, 'deleted', ids.toReversed(), 32 * MiB);

    const replacedRest = await startReading(url, 'replaced');
    const deletedRest = await startReading(url, 'deleted');
    await composeOk(url, 'replaced', ['part-0'], 8 * MiB);
    expect((await rawRequest(url, 'DELETE', '/files/deleted')).status).toBe(204);
    for (const id of ids) expect((await rawRequest(url, 'DELETE', filePath(id))).status).toBe(204);
    // Still being read, the old folders wait in tmp/.
    expect(await tempFiles(dataDir)).toHaveLength(2);

    const bytes = parts.map(([, part]) => part);
    expect(sha256(await replacedRest())).toBe(sha256(Buffer.concat(bytes)));
    expect(sha256(await deletedRest())).toBe(sha256(Buffer.concat(bytes.toReversed())));
    await waitFor(async () => (await tempFiles(dataDir)).length === 0, 'tmp/ to empty');
    expect(sha256(await download(url, 'replaced'))).toBe(sha256(bytes[0] as Buffer));
    expect((await rawRequest(url, 'GET', '/files/deleted')).status).toBe(404);
  });

  it('lets a reader of a regular file read all of it while a composite replaces it', async () => {
    const { url, dataDir } = await startFileStore();
    const old = randomBytes(32 * MiB);
    await store(url, [
      ['song', old],
      ['part', patternBytes(100)],
    ]);
    const rest = await startReading(url, 'song');
    await composeOk(url, 'song', ['part'], 100);
    expect(await storedFiles(dataDir)).toEqual([fileNameForId('part')]);
    expect(sha256(await rest())).toBe(sha256(old));
  });

  it('always opens one whole version while the id turns composite, composite again and regular', async () => {
    const root = await makeTempRoot();
    const dataDir = join(root, 'data');
    const storage = await openFileStorage(dataDir);
    const a = patternBytes(3000, 1);
    const b = patternBytes(2000, 2);
    const regular = patternBytes(2500, 3);
    await storage.writeFile('a', Readable.from([a]));
    await storage.writeFile('b', Readable.from([b]));
    await storage.writeFile('x', Readable.from([regular]));
    const versions = [Buffer.concat([a, b]), Buffer.concat([b, a]), regular].map(sha256);

    let writing = true;
    const writer = (async () => {
      try {
        for (let round = 0; round < 40; round += 1) {
          await storage.composeFile('x', ['a', 'b'], NO_LIMIT);
          await storage.composeFile('x', ['b', 'a'], NO_LIMIT);
          await storage.writeFile('x', Readable.from([regular]));
          await storage.composeFile('x', ['a', 'b'], NO_LIMIT);
          expect(await storage.deleteFile('x')).toBe(true);
          await storage.writeFile('x', Readable.from([regular]));
        }
      } finally {
        writing = false;
      }
    })();
    const reader = async () => {
      let reads = 0;
      for (; writing; reads += 1) {
        const file = await storage.openFile('x');
        // Deleted and written again in the writer's last two steps: "not found" is true then.
        if (!file) continue;
        const bytes = await readAll(file.createReadStream({ start: 0, end: file.size - 1 }));
        expect(versions).toContain(sha256(bytes));
      }
      return reads;
    };
    const reads = await Promise.all([writer, reader(), reader(), reader()]);
    console.log(`reads while the id changed: ${reads.slice(1).join(', ')}`);

    const files = [];
    for await (const file of storage.listFiles()) files.push(file);
    expect(files.filter((file) => file.id === 'x')).toHaveLength(1);
    expect(await compositesOf(dataDir)).toEqual([]);
    expect(await tempFiles(dataDir)).toEqual([]);
  });

  it('never leaves an open of a changing id empty-handed', async () => {
    const root = await makeTempRoot();
    const storage = await openFileStorage(join(root, 'data'));
    await storage.writeFile('a', Readable.from([patternBytes(100, 1)]));
    await storage.writeFile('b', Readable.from([patternBytes(100, 2)]));
    await storage.composeFile('x', ['a'], NO_LIMIT);

    let writing = true;
    let missed = 0;
    const writer = (async () => {
      // Composite over composite has a moment with neither folder in place; and regular over
      // composite and back, a moment where the regular file is already (or still) gone.
      for (let round = 0; round < 100; round += 1) {
        await storage.composeFile('x', [round % 2 ? 'a' : 'b'], NO_LIMIT);
        if (round % 10 === 0) await storage.writeFile('x', Readable.from([Buffer.from('r')]));
      }
      writing = false;
    })();
    const reader = async () => {
      while (writing) {
        const file = await storage.openFile('x');
        if (!file) missed += 1;
        await file?.close();
      }
    };
    await Promise.all([writer, reader(), reader(), reader(), reader()]);
    expect(missed).toBe(0);
  });
});

describe('composing fails and leaves nothing behind', () => {
  it('when a source after a composite one is missing', async () => {
    const { url, dataDir } = await composedSong();
    const before = await compositesOf(dataDir);
    const response = await compose(url, { id: 'album', sources: ['song', 'part/0', 'gone'] });
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe('SOURCE_NOT_FOUND');
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(await compositesOf(dataDir)).toEqual(before);
    expect((await rawRequest(url, 'GET', '/files/album')).status).toBe(404);
  });

  it('when a composite source is missing, and the target keeps its old version', async () => {
    const { url, dataDir, whole } = await composedSong();
    const response = await compose(url, { id: 'song', sources: ['part/0', 'no-composite'] });
    expect(response.status).toBe(404);
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(sha256(await download(url, 'song'))).toBe(sha256(whole));
  });

  it('when a composite source takes the whole over MAX_FILE_BYTES', async () => {
    const { url, dataDir } = await startFileStore({ MAX_FILE_BYTES: '5000' });
    await store(url, [
      ['a', patternBytes(2000, 1)],
      ['b', patternBytes(1000, 2)],
    ]);
    await composeOk(url, 'ab', ['a', 'b'], 3000);
    const response = await compose(url, { id: 'big', sources: ['b', 'ab', 'b', 'b'] });
    expect(response.status).toBe(413);
    expect(await errorCode(response)).toBe('FILE_TOO_LARGE');
    expect(await tempFiles(dataDir)).toEqual([]);
    expect(await compositesOf(dataDir)).toEqual([fileNameForId('ab')]);
    // Exactly the limit is fine.
    await composeOk(url, 'big', ['b', 'ab', 'b'], 5000);
  });
});

describe('composing an upload of 128 parts of 8 MiB', () => {
  it('takes no time: no byte is copied', async () => {
    const root = await makeTempRoot();
    const dataDir = join(root, 'data');
    const storage = await openFileStorage(dataDir);
    const block = randomBytes(8 * MiB);
    const ids = Array.from({ length: 128 }, (_, index) => `uploads/1/part-${index}`);
    // Each part marked with its number at both ends, to check the order at every border.
    const partBytes = (index: number) => {
      const bytes = Buffer.from(block);
      bytes.writeUInt32BE(index, 0);
      bytes.writeUInt32BE(index, bytes.length - 4);
      return bytes;
    };
    for (const [index, id] of ids.entries()) {
      await storage.writeFile(id, Readable.from([partBytes(index)]));
    }
    const app = await buildApp(
      loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', MAX_FILE_BYTES: String(2 ** 31) }),
      { logger: false },
    );
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    onTestFinished(() => app.close());

    const started = performance.now();
    await composeOk(url, 'whole', ids, 1024 * MiB);
    console.log(`composed 128 × 8 MiB in ${(performance.now() - started).toFixed(1)} ms`);

    for (let index = 1; index < ids.length; index += 1) {
      const border = index * 8 * MiB;
      const range = `bytes=${border - 4}-${border + 3}`;
      const response = await rawRequest(url, 'GET', '/files/whole', { range });
      expect(response.status).toBe(206);
      expect([response.body.readUInt32BE(0), response.body.readUInt32BE(4)]).toEqual([
        index - 1,
        index,
      ]);
    }
  });
});

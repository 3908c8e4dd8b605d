import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fileNameForId, openFileStorage } from '../src/storage.ts';
import { makeTempRoot, startFileStore, upload } from './helpers.ts';

interface Listed {
  name: string;
  id: string | null;
}

/** GET /files/ read to its end, one object per line. */
async function list(url: string, path = '/files/'): Promise<Listed[]> {
  const response = await fetch(`${url}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
  const text = await response.text();
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Listed);
}

const byName = (a: Listed, b: Listed) => a.name.localeCompare(b.name);
const listed = (...ids: string[]) =>
  ids.map((id) => ({ name: fileNameForId(id), id })).sort(byName);

describe('GET /files/ (the listing, internal)', () => {
  it('answers an empty store with an empty listing', async () => {
    const { url } = await startFileStore();
    expect(await list(url)).toEqual([]);
    expect(await list(url, '/files')).toEqual([]);
  });

  it('names every stored file by its id, each once, and forgets deleted ones', async () => {
    const { url } = await startFileStore();
    const ids = ['plain', 'a/b', 'ünïcödé €', 'nul\u0000inside', '..', 'é'.repeat(512)];
    expect((await upload(url, Object.fromEntries(ids.map((id) => [id, id])))).status).toBe(201);
    // Overwritten: still one file.
    expect((await upload(url, { plain: 'again' })).status).toBe(201);
    expect((await list(url)).sort(byName)).toEqual(listed(...ids));

    const gone = await fetch(`${url}/files/${encodeURIComponent('a/b')}`, { method: 'DELETE' });
    expect(gone.status).toBe(204);
    expect((await list(url)).sort(byName)).toEqual(listed(...ids.filter((id) => id !== 'a/b')));
  });

  it('gives the name alone for a file stored before ids were recorded, until it is written again', async () => {
    const root = await makeTempRoot();
    const dataDir = join(root, 'data');
    // What an older file_store left: the file under its hashed name, no id beside it.
    await mkdir(join(dataDir, 'files'), { recursive: true });
    await writeFile(join(dataDir, 'files', fileNameForId('old')), 'stored earlier');
    const { url } = await startFileStore({}, root);
    expect(await list(url)).toEqual([{ name: fileNameForId('old'), id: null }]);

    expect((await upload(url, { old: 'written again' })).status).toBe(201);
    expect(await list(url)).toEqual(listed('old'));
  });

  it('never names an id that is not the one of the file (a damaged id record)', async () => {
    const root = await makeTempRoot();
    const { url, dataDir } = await startFileStore({}, root);
    await upload(url, { real: 'x' });
    await writeFile(join(dataDir, 'ids', fileNameForId('real')), 'not-real');
    expect(await list(url)).toEqual([{ name: fileNameForId('real'), id: null }]);
  });

  it('streams a large listing (chunked, no length known up front) and survives a reader who leaves', async () => {
    const root = await makeTempRoot();
    const dataDir = join(root, 'data');
    const ids = Array.from({ length: 3000 }, (_, index) => `file-${index}`);
    // Written straight into the folders (an upload each would take the test's whole budget).
    const storage = await openFileStorage(dataDir);
    for (let start = 0; start < ids.length; start += 200) {
      await Promise.all(
        ids
          .slice(start, start + 200)
          .map((id) => storage.writeFile(id, Readable.from([Buffer.from(id)]))),
      );
    }
    const { url } = await startFileStore({}, root);

    const response = await fetch(`${url}/files/`);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    // One chunk read, then gone.
    const reader = response.body?.getReader();
    expect((await reader?.read())?.done).toBe(false);
    await reader?.cancel();

    const all = await list(url);
    expect(all).toHaveLength(ids.length);
    expect(all.sort(byName)).toEqual(listed(...ids));
  });

  it('keeps a file’s id exactly as long as the file, through concurrent writes and deletes of one id', async () => {
    const root = await makeTempRoot();
    const dataDir = join(root, 'data');
    const storage = await openFileStorage(dataDir);
    for (let round = 0; round < 30; round += 1) {
      // Deletes started a few turns of the event loop apart, so that they fall between the
      // steps of the writes.
      await Promise.all(
        Array.from({ length: 8 }, async (_, index) => {
          for (let turn = 0; turn < index; turn += 1) await new Promise(setImmediate);
          return index % 2 === 0
            ? storage.writeFile(
                'raced',
                Readable.from([Buffer.from(`round ${round}, write ${index}`)]),
              )
            : storage.deleteFile('raced');
        }),
      );
      const files = [];
      for await (const file of storage.listFiles()) files.push(file);
      // Whatever order they ran in: a file there has its id.
      for (const file of files) expect(file).toEqual({ name: fileNameForId('raced'), id: 'raced' });
      // And a deleted file's id goes with it.
      expect(await readdir(join(dataDir, 'ids'))).toHaveLength(files.length);
    }
  });
});

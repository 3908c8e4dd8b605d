import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileNameForId } from '../src/storage.ts';
import { download, makeTempRoot, startFileStore, tempFiles } from './helpers.ts';

describe('start-up', () => {
  it('removes temp files that interrupted uploads left, and keeps stored files', async () => {
    const root = await makeTempRoot();
    const dataDir = join(root, 'data');
    await mkdir(join(dataDir, 'tmp', 'stray-folder'), { recursive: true });
    await writeFile(join(dataDir, 'tmp', 'stale.upload'), 'half a file');
    await mkdir(join(dataDir, 'files'), { recursive: true });
    await writeFile(join(dataDir, 'files', fileNameForId('kept')), 'stored earlier');

    const { url } = await startFileStore({}, root);
    expect(await tempFiles(dataDir)).toEqual([]);
    expect((await download(url, 'kept')).toString()).toBe('stored earlier');
  });

  it('creates DATA_DIR when it does not exist', async () => {
    const root = await makeTempRoot();
    const { url } = await startFileStore({}, join(root, 'deeper', 'still'));
    const response = await fetch(`${url}/files/`, {
      method: 'POST',
      body: (() => {
        const form = new FormData();
        form.append('first', new Blob(['1']), 'f');
        return form;
      })(),
    });
    expect(response.status).toBe(201);
  });
});

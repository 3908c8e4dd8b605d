import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of uploads file_store is still receiving (its temp folder), largest first. */
export async function fileStoreTempBytes(fileStoreDataDir: string): Promise<number[]> {
  const dir = join(fileStoreDataDir, 'tmp');
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(
    names.map((name) =>
      stat(join(dir, name))
        .then((stats) => stats.size)
        .catch(() => 0),
    ),
  );
  return sizes.sort((a, b) => b - a);
}

/**
 * The names of every file file_store holds, read from its data folder: regular files, and the
 * composites `POST /compose` makes (a folder of links each, under `composites/`).
 */
export async function storedFileNames(fileStoreDataDir: string): Promise<string[]> {
  const folders = ['files', 'composites'].map((folder) =>
    readdir(join(fileStoreDataDir, folder)).catch(() => [] as string[]),
  );
  return (await Promise.all(folders)).flat();
}

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

import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An open stored file: the caller streams from `handle` and must close it (or let a stream do so). */
export interface StoredFile {
  handle: FileHandle;
  size: number;
  modifiedAt: Date;
  /** Changes whenever the file is replaced: every write is a new inode. */
  etag: string;
}

export interface FileStorage {
  /** Streams `source` to a temp file and renames it over the old one only once complete. */
  writeFile(id: string, source: Readable | AsyncIterable<Uint8Array>): Promise<void>;
  /** Opens the file for reading, or returns null when no file has this id. */
  openFile(id: string): Promise<StoredFile | null>;
  /** Returns false when no file has this id. */
  deleteFile(id: string): Promise<boolean>;
}

/**
 * Files live in DATA_DIR/files/<sha256 of the id>, so no id can name a path outside it, and
 * uploads in progress in DATA_DIR/tmp/ (same file system, so the final rename is atomic).
 * Opening removes temp files that a crash or kill left behind.
 */
export async function openFileStorage(
  dataDir: string,
): Promise<FileStorage & { removedTempFiles: number }> {
  const filesDir = join(dataDir, 'files');
  const tempDir = join(dataDir, 'tmp');
  await mkdir(filesDir, { recursive: true });
  await mkdir(tempDir, { recursive: true });
  const removedTempFiles = await removeAllEntries(tempDir);

  const pathForId = (id: string) => join(filesDir, fileNameForId(id));

  return {
    removedTempFiles,

    async writeFile(id, source) {
      const tempPath = join(tempDir, `${randomUUID()}.upload`);
      try {
        // flush: the data reaches the disk before the rename makes it visible, so a crash
        // cannot leave a renamed but empty file.
        await pipeline(source, createWriteStream(tempPath, { flags: 'wx', flush: true }));
        await rename(tempPath, pathForId(id));
      } catch (error) {
        await rm(tempPath, { force: true });
        throw error;
      }
    },

    async openFile(id) {
      let handle: FileHandle;
      try {
        handle = await open(pathForId(id), 'r');
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      try {
        // Size and dates come from the open descriptor, so they describe exactly the bytes
        // we will stream even if the file is replaced meanwhile.
        const stats = await handle.stat({ bigint: true });
        return {
          handle,
          size: Number(stats.size),
          modifiedAt: new Date(Number(stats.mtimeMs)),
          etag: `"${stats.ino.toString(36)}-${stats.size.toString(36)}-${stats.mtimeNs.toString(36)}"`,
        };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async deleteFile(id) {
      try {
        await unlink(pathForId(id));
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
  };
}

/** A fixed-length, path-safe name for any id (including "..", "/" or NUL). */
export function fileNameForId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

async function removeAllEntries(dir: string): Promise<number> {
  const names = await readdir(dir);
  await Promise.all(names.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  return names.length;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

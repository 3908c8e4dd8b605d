import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  opendir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
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

/** One stored file, as the listing gives it. */
export interface ListedFile {
  /** The file's name on disk: the SHA-256 of its id, in hex (see fileNameForId). */
  name: string;
  /**
   * Its id, or null when the store does not know it: a file written before ids were recorded
   * (they are recorded since the listing exists), whose id no write has repeated since.
   */
  id: string | null;
}

export interface FileStorage {
  /** Streams `source` to a temp file and renames it over the old one only once complete. */
  writeFile(id: string, source: Readable | AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * Writes the files of `sourceIds`, in order, one after the other into `id`'s file (replacing
   * it as writeFile does) and resolves to its size. The sources stay. Rejects with SourceNotFound
   * or ComposedTooLarge, writing nothing, when a source is missing or the whole would pass
   * `maxBytes`. `id` may be one of the sources: every source is read before the file is replaced.
   */
  composeFile(id: string, sourceIds: string[], maxBytes: number): Promise<number>;
  /** Opens the file for reading, or returns null when no file has this id. */
  openFile(id: string): Promise<StoredFile | null>;
  /** Returns false when no file has this id. */
  deleteFile(id: string): Promise<boolean>;
  /**
   * Every stored file, read from the folder as it goes (never all at once), in no particular
   * order. A file written or deleted while the listing runs may or may not be in it.
   */
  listFiles(): AsyncIterable<ListedFile>;
}

/**
 * Files live in DATA_DIR/files/<sha256 of the id>, so no id can name a path outside it, and
 * uploads and composes in progress in DATA_DIR/tmp/ (same file system, so the final rename
 * is atomic). Each file's id is kept beside it in DATA_DIR/ids/<the same name>, written before
 * the file is renamed into place, so every listed file can say its id. Opening removes temp
 * files that a crash or kill left behind. (A crash between the id and the file, or between
 * deleting the file and its id, leaves an id without a file: never listed, and reused by the
 * next write.)
 */
export async function openFileStorage(
  dataDir: string,
): Promise<FileStorage & { removedTempFiles: number }> {
  const filesDir = join(dataDir, 'files');
  const idsDir = join(dataDir, 'ids');
  const tempDir = join(dataDir, 'tmp');
  await mkdir(filesDir, { recursive: true });
  await mkdir(idsDir, { recursive: true });
  await mkdir(tempDir, { recursive: true });
  const removedTempFiles = await removeAllEntries(tempDir);

  const pathForId = (id: string) => join(filesDir, fileNameForId(id));
  // Writing a file's last step and deleting it run one at a time per name, so a delete
  // racing a write of the same id cannot remove the id of the file the write puts in place.
  const oneAtATime = serialisedByKey();

  /** Records `id` beside its file, unless it is there already (ids never change). */
  async function recordId(id: string, name: string): Promise<void> {
    const idPath = join(idsDir, name);
    if (await exists(idPath)) return;
    const tempPath = join(tempDir, `${randomUUID()}.id`);
    try {
      await writeAll(tempPath, id);
      await rename(tempPath, idPath);
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  /** The id recorded for `name`, or null (none recorded, or not the id of that name). */
  async function recordedId(name: string): Promise<string | null> {
    try {
      const id = await readFile(join(idsDir, name), 'utf8');
      return fileNameForId(id) === name ? id : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * Streams `source` to a temp file and renames it over `id`'s file only once complete;
   * resolves to the number of bytes written. On any failure the temp file goes.
   */
  async function writeThenRename(
    id: string,
    source: Readable | AsyncIterable<Uint8Array>,
  ): Promise<number> {
    const tempPath = join(tempDir, `${randomUUID()}.upload`);
    try {
      // flush: the data reaches the disk before the rename makes it visible, so a crash
      // cannot leave a renamed but empty file.
      const output = createWriteStream(tempPath, { flags: 'wx', flush: true });
      await pipeline(source, output);
      const name = fileNameForId(id);
      await oneAtATime(name, async () => {
        await recordId(id, name);
        await rename(tempPath, join(filesDir, name));
      });
      return output.bytesWritten;
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  async function openFile(id: string): Promise<StoredFile | null> {
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
  }

  /**
   * The bytes of the files of `sourceIds`, one file after the other, each opened only when its
   * turn comes (10,000 sources never hold 10,000 descriptors). A missing source, or one that
   * would take the total past `maxBytes`, fails the stream before any of its bytes are read.
   */
  async function* concatenation(sourceIds: string[], maxBytes: number) {
    let total = 0;
    for (const sourceId of sourceIds) {
      const file = await openFile(sourceId);
      if (!file) throw new SourceNotFound(sourceId);
      total += file.size;
      if (total > maxBytes) {
        await file.handle.close();
        throw new ComposedTooLarge(maxBytes);
      }
      // The stream closes the descriptor at its end, or when a failed write destroys it.
      // Large reads: fewer chunks for a multi-gigabyte copy.
      yield* file.handle.createReadStream({ highWaterMark: COPY_CHUNK_BYTES });
    }
  }

  return {
    removedTempFiles,

    async writeFile(id, source) {
      await writeThenRename(id, source);
    },

    composeFile: (id, sourceIds, maxBytes) =>
      writeThenRename(id, concatenation(sourceIds, maxBytes)),

    openFile,

    async deleteFile(id) {
      const name = fileNameForId(id);
      return oneAtATime(name, async () => {
        try {
          await unlink(join(filesDir, name));
        } catch (error) {
          if (isNotFound(error)) return false;
          throw error;
        }
        await rm(join(idsDir, name), { force: true });
        return true;
      });
    },

    async *listFiles() {
      // opendir reads the folder a batch of entries at a time: a million files are never
      // held at once. Anything but a stored file's name (there is nothing else) is skipped.
      for await (const entry of await opendir(filesDir, { bufferSize: 256 })) {
        if (!entry.isFile() || !STORED_NAME.test(entry.name)) continue;
        yield { name: entry.name, id: await recordedId(entry.name) };
      }
    },
  };
}

const STORED_NAME = /^[0-9a-f]{64}$/;

const COPY_CHUNK_BYTES = 1024 * 1024;

/** composeFile: one of the sources does not exist. */
export class SourceNotFound extends Error {
  override name = 'SourceNotFound';
  readonly sourceId: string;

  constructor(sourceId: string) {
    super(`No source file with id ${JSON.stringify(sourceId)}`);
    this.sourceId = sourceId;
  }
}

/** composeFile: the sources together are larger than allowed. */
export class ComposedTooLarge extends Error {
  override name = 'ComposedTooLarge';
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`The composed file would be over ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}

/** A fixed-length, path-safe name for any id (including "..", "/" or NUL). */
export function fileNameForId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

/**
 * Runs the steps given for one key one after another (steps for different keys run freely);
 * forgets a key once its last step has ended.
 */
function serialisedByKey() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, step: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(step);
    const tail = run.catch(() => {});
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

/** Writes `text` to a new file, on the disk before this resolves. */
async function writeAll(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function removeAllEntries(dir: string): Promise<number> {
  const names = await readdir(dir);
  await Promise.all(names.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  return names.length;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

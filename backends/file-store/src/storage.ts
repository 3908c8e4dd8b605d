import { createHash, randomUUID } from 'node:crypto';
import { type BigIntStats, createWriteStream } from 'node:fs';
import {
  type FileHandle,
  link,
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
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * An open stored file. The caller either streams it once (the stream lets go of the file when
 * it ends or is destroyed) or closes it.
 */
export interface StoredFile {
  size: number;
  modifiedAt: Date;
  /** Changes whenever the file is replaced: every write is a new inode (a new folder). */
  etag: string;
  /** Bytes `start` to `end`, both included (as fs counts them), of the version opened. */
  createReadStream(range: { start: number; end: number }): Readable;
  close(): Promise<void>;
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
   * Makes `id`'s file the files of `sourceIds`, in order, one after the other (replacing it as
   * writeFile does), without copying a byte: a composite of hard links to the sources' data.
   * Resolves to its size. The sources stay. Rejects with SourceNotFound or ComposedTooLarge,
   * leaving nothing, when a source is missing or the whole would pass `maxBytes`. `id` may be
   * one of the sources: every source is linked before the file is replaced.
   */
  composeFile(id: string, sourceIds: string[], maxBytes: number): Promise<number>;
  /** Opens the file for reading, or returns null when no file has this id. */
  openFile(id: string): Promise<StoredFile | null>;
  /** Returns false when no file has this id. */
  deleteFile(id: string): Promise<boolean>;
  /**
   * Every stored file, read from the folders as it goes (never all at once), in no particular
   * order. A file written or deleted while the listing runs may or may not be in it (and one
   * that turns from regular to composite or back meanwhile may be in it twice).
   */
  listFiles(): AsyncIterable<ListedFile>;
}

/**
 * Files live in DATA_DIR/files/<sha256 of the id>, so no id can name a path outside it, and
 * uploads and composes in progress in DATA_DIR/tmp/ (same file system, so the final rename
 * is atomic). A composed file is a composite instead, DATA_DIR/composites/<the same name>/: hard
 * links to its sources' data, in order (0000000, 0000001, …), and manifest.json with their
 * sizes; composing copies no byte, and a source deleted afterwards leaves its data to the
 * composite's link. Each file's id is kept beside it in DATA_DIR/ids/<the same name>, written
 * before the file is renamed into place, so every listed file can say its id. Opening removes
 * temp files that a crash or kill left behind. (A crash between the id and the file, or between
 * deleting the file and its id, leaves an id without a file: never listed, and reused by the
 * next write.)
 *
 * Every change of an id runs in one oneAtATime(name) step, and while both kinds exist the
 * regular file is the id's file. So each change first alters what nobody sees, then makes its
 * visible move, then removes what nobody sees any more:
 * - writeFile renames its file into files/, then moves a composite of the id away;
 * - composeFile moves an older composite away, renames the new one into composites/, then
 *   unlinks a regular file of the id;
 * - deleteFile moves a composite away, then unlinks a regular file.
 * A crash mid-step leaves one whole version (both kinds: the old file after a compose, the new
 * one after a write), except in a compose over a composite, which has a moment with neither
 * (a folder cannot be renamed over another): a crash then loses the id (the API composes only
 * new ids). A regular file is opened at once, as ever; a composite, or no file, is looked up
 * inside the id's step queue, where no change is half done.
 *
 * A composite is moved away into tmp/ (never half deleted in place) and removed from there once
 * no stream reads it, so a reader of a replaced or deleted composite, like one of a regular
 * file, reads all of the version it opened.
 */
export async function openFileStorage(
  dataDir: string,
): Promise<FileStorage & { removedTempFiles: number }> {
  const filesDir = join(dataDir, 'files');
  const compositesDir = join(dataDir, 'composites');
  const idsDir = join(dataDir, 'ids');
  const tempDir = join(dataDir, 'tmp');
  for (const dir of [filesDir, compositesDir, idsDir, tempDir]) {
    await mkdir(dir, { recursive: true });
  }
  const removedTempFiles = await removeAllEntries(tempDir);

  // Writing a file's last step and deleting it run one at a time per name, so a delete
  // racing a write of the same id cannot remove the id of the file the write puts in place;
  // so do linking a source's data, opening a composite and each of its segments (see above).
  const oneAtATime = serialisedByKey();
  /** The composites streams are reading, by name, while they are in composites/. */
  const readComposites = new Map<string, ReadComposite>();

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
      const removeComposite = await oneAtATime(name, async () => {
        await recordId(id, name);
        await rename(tempPath, join(filesDir, name));
        // Hidden by the new file from now on.
        return moveCompositeAway(name);
      });
      await removeComposite?.();
      return output.bytesWritten;
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  /**
   * Links the files of `sourceIds`, in order, into a new composite folder, flushes it and
   * renames it into place as `id`'s file; resolves to its size. On any failure the folder goes.
   */
  async function composeFile(id: string, sourceIds: string[], maxBytes: number): Promise<number> {
    const folder = join(tempDir, randomUUID());
    await mkdir(folder);
    try {
      const sizes: number[] = [];
      let total = 0;
      for (const sourceId of sourceIds) {
        const sourceName = fileNameForId(sourceId);
        // In the source's step queue: no write or delete of it runs meanwhile, so all the
        // segments of a composite source come from one version of it.
        const linked = await oneAtATime(sourceName, () =>
          linkSegments(sourceName, folder, sizes.length),
        );
        if (!linked) throw new SourceNotFound(sourceId);
        for (const size of linked) {
          sizes.push(size);
          total += size;
        }
        if (total > maxBytes) throw new ComposedTooLarge(maxBytes);
      }
      // On the disk before the rename makes the composite visible, as writeFile's data.
      await writeAll(join(folder, MANIFEST), JSON.stringify({ sizes }));
      await syncPath(folder);
      const name = fileNameForId(id);
      const removeComposite = await oneAtATime(name, async () => {
        await recordId(id, name);
        // A folder cannot be renamed over another: the older composite goes first.
        const removeComposite = await moveCompositeAway(name);
        await rename(folder, join(compositesDir, name));
        // Until now an older regular file was the id's file.
        await unlinkIfPresent(join(filesDir, name));
        return removeComposite;
      });
      await removeComposite?.();
      return total;
    } catch (error) {
      await removeFolder(folder);
      throw error;
    }
  }

  /**
   * Hard-links the data of the stored file `name` into `folder` as its segments from `index`
   * on, and resolves to their sizes (of the linked data, not what anyone says), or to null when
   * there is no such file. A composite's own segments are linked, so composites never nest.
   */
  async function linkSegments(
    name: string,
    folder: string,
    index: number,
  ): Promise<number[] | null> {
    const regular = join(filesDir, name);
    try {
      return [await linkSegment(regular, join(folder, segmentName(index)))];
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const composite = join(compositesDir, name);
    let count: number;
    try {
      count = (await readManifest(composite)).length;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const sizes: number[] = [];
    for (let segment = 0; segment < count; segment += 1) {
      const target = join(folder, segmentName(index + segment));
      sizes.push(await linkSegment(join(composite, segmentName(segment)), target));
    }
    return sizes;
  }

  /**
   * Moves `name`'s composite, if it has one, into tmp/ and resolves to what removes it from
   * there (nothing, while streams still read it: the last of them does), or to null.
   */
  async function moveCompositeAway(name: string): Promise<(() => Promise<void>) | null> {
    const away = join(tempDir, randomUUID());
    try {
      await rename(join(compositesDir, name), away);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const read = readComposites.get(name);
    if (!read) return () => removeFolder(away);
    readComposites.delete(name);
    read.path = away;
    read.movedAway = true;
    return async () => {};
  }

  async function openRegular(name: string): Promise<StoredFile | null> {
    let handle: FileHandle;
    try {
      handle = await open(join(filesDir, name), 'r');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    try {
      // Size and dates come from the open descriptor, so they describe exactly the bytes
      // we will stream even if the file is replaced meanwhile.
      const stats = await handle.stat({ bigint: true });
      return {
        size: Number(stats.size),
        modifiedAt: new Date(Number(stats.mtimeMs)),
        etag: `"${stats.ino.toString(36)}-${stats.size.toString(36)}-${stats.mtimeNs.toString(36)}"`,
        // The stream takes over the descriptor and closes it when done or destroyed.
        createReadStream: ({ start, end }) => handle.createReadStream({ start, end }),
        close: () => handle.close(),
      };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Opens `name`'s composite; only inside its step queue, so no change of it is half done. */
  async function openComposite(name: string): Promise<StoredFile | null> {
    const path = join(compositesDir, name);
    let stats: BigIntStats;
    let sizes: number[];
    try {
      stats = await stat(path, { bigint: true });
      sizes = await readManifest(path);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const read = readComposites.get(name) ?? { path, readers: 0, movedAway: false };
    readComposites.set(name, read);
    read.readers += 1;
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      read.readers -= 1;
      if (read.readers > 0) return;
      if (read.movedAway) return removeFolder(read.path);
      if (readComposites.get(name) === read) readComposites.delete(name);
    };
    const size = sizes.reduce((sum, segment) => sum + segment, 0);
    return {
      size,
      modifiedAt: new Date(Number(stats.mtimeMs)),
      etag: `"c${stats.ino.toString(36)}-${size.toString(36)}-${stats.mtimeNs.toString(36)}"`,
      createReadStream: ({ start, end }) => {
        const stream = Readable.from(segmentBytes(name, read, sizes, start, end), {
          objectMode: false,
        });
        // A folder left in tmp/ by a failed removal goes at the next start.
        stream.once('close', () => release().catch(() => {}));
        return stream;
      },
      close: release,
    };
  }

  /**
   * Bytes `start` to `end` (included) of a composite's segments: each opened only when the
   * stream reaches it (a 4 GiB upload has 512), whole segments before `start` skipped.
   */
  async function* segmentBytes(
    name: string,
    read: ReadComposite,
    sizes: number[],
    start: number,
    end: number,
  ) {
    let offset = 0;
    let sent = 0;
    for (let index = 0; index < sizes.length && offset <= end; index += 1) {
      const size = sizes[index] ?? 0;
      const segmentStart = offset;
      offset += size;
      if (offset <= start || size === 0) continue;
      const first = Math.max(start - segmentStart, 0);
      const last = Math.min(end, offset - 1) - segmentStart;
      // In the step queue: the folder is not being moved away meanwhile.
      const handle = await oneAtATime(name, () => open(join(read.path, segmentName(index)), 'r'));
      // The stream closes the descriptor at its end, or when destroyed with this generator.
      for await (const chunk of handle.createReadStream({ start: first, end: last })) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    // Fewer bytes than asked (a segment shorter than its manifest says) must fail the stream,
    // not end it: the length was promised already.
    if (sent !== end - start + 1) {
      throw new Error(`Composite ${name} gave ${sent} of bytes ${start}-${end}`);
    }
  }

  return {
    removedTempFiles,

    async writeFile(id, source) {
      await writeThenRename(id, source);
    },

    composeFile,

    async openFile(id) {
      const name = fileNameForId(id);
      return (
        (await openRegular(name)) ??
        oneAtATime(name, async () => (await openRegular(name)) ?? (await openComposite(name)))
      );
    },

    async deleteFile(id) {
      const name = fileNameForId(id);
      const { found, removeComposite } = await oneAtATime(name, async () => {
        // The composite first: while the id has a regular file, that is the one seen.
        const removeComposite = await moveCompositeAway(name);
        const found = (await unlinkIfPresent(join(filesDir, name))) || removeComposite !== null;
        if (found) await rm(join(idsDir, name), { force: true });
        return { found, removeComposite };
      });
      await removeComposite?.();
      return found;
    },

    async *listFiles() {
      // opendir reads a folder a batch of entries at a time: a million files are never held
      // at once. Anything but a stored file's name (there is nothing else) is skipped.
      for await (const entry of await opendir(filesDir, { bufferSize: 256 })) {
        if (!entry.isFile() || !STORED_NAME.test(entry.name)) continue;
        yield { name: entry.name, id: await recordedId(entry.name) };
      }
      for await (const entry of await opendir(compositesDir, { bufferSize: 256 })) {
        if (!entry.isDirectory() || !STORED_NAME.test(entry.name)) continue;
        // Hidden by a regular file of the id (a crash mid-step), listed above.
        if (await exists(join(filesDir, entry.name))) continue;
        yield { name: entry.name, id: await recordedId(entry.name) };
      }
    },
  };
}

/** A composite that streams read: where its folder is now, and whether it is to go. */
interface ReadComposite {
  path: string;
  readers: number;
  /** In tmp/: removed when its last reader is done. */
  movedAway: boolean;
}

const STORED_NAME = /^[0-9a-f]{64}$/;

const MANIFEST = 'manifest.json';

/** A composite's segment files: 0000000, 0000001, … */
function segmentName(index: number): string {
  return String(index).padStart(7, '0');
}

/** The segment sizes a composite's manifest gives. */
async function readManifest(folder: string): Promise<number[]> {
  const { sizes } = JSON.parse(await readFile(join(folder, MANIFEST), 'utf8')) as {
    sizes: unknown;
  };
  if (!Array.isArray(sizes) || !sizes.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw new Error(`The manifest of ${folder} is damaged`);
  }
  return sizes;
}

/** Hard-links `from` as `to` and resolves to the size of the data linked. */
async function linkSegment(from: string, to: string): Promise<number> {
  await link(from, to);
  return (await stat(to)).size;
}

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

/** Flushes a file's or a folder's entries to the disk. */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Unlinks `path`; resolves to false when there was nothing to unlink. */
async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function removeFolder(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true });
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

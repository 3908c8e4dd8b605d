import { finished, Transform } from 'node:stream';
import type { FastifyMultipartBaseOptions, Multipart, MultipartFile } from '@fastify/multipart';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import { MAX_TITLE_LENGTH } from '../contract.ts';
import type { Database } from '../db/client.ts';
import type { SoundRow } from '../db/schema.ts';
import { Errors } from '../lib/errors.ts';
import { type Sniffed, sniff } from '../media/sniff.ts';
import { notAudio, type UploadCheck } from '../media/upload-check.ts';
import { durationBoundMs } from '../processing/budget.ts';
import { cleanFilename, cleanTitle, defaultTitle } from './names.ts';
import { type UserQuota, uploadAllowance } from './quota.ts';
import { readHead } from './read-head.ts';
import { deleteSoundRow, insertUploadingSound, publishSound, touchSound } from './repository.ts';

/** How many leading bytes are held to refuse what is plainly not sound before storing it. */
export const HEAD_BYTES = 64 * 1024;

export interface UploadDependencies {
  db: Database;
  fileStore: FileStore;
  uploadCheck: UploadCheck;
  log: FastifyBaseLogger;
  maxUploadBytes: number;
  quota: UserQuota;
  /** The longest sound accepted (MAX_DURATION_MS); a small file is held to less. */
  maxDurationMs: number;
  /** How often a live upload refreshes its row (well under the reaper's staleness limit). */
  heartbeatMs: number;
}

/** The dependencies, and the size this upload may reach with the error that says so. */
interface LimitedUpload extends UploadDependencies {
  limit: { bytes: number; error: () => Error };
}

/** A published upload, and how long each of its steps took, in ms (for `Server-Timing`). */
export interface ReceivedUpload {
  row: SoundRow;
  timings: UploadTimings;
}

export interface UploadTimings {
  /** The user's quota, read from the database. */
  quota: number;
  /** Its row inserted and the file streamed to file_store, as fast as the client sent it. */
  store: number;
  /** ffprobe judging the stored file. */
  check: number;
  /** The row turned `ready`, with its processing job. */
  publish: number;
}

/** A file that reached storage; its row is still `uploading`. */
export interface StoredUpload {
  row: SoundRow;
  size: number;
  /** What its first bytes said. */
  sniffed: Sniffed;
}

/**
 * POST /sounds: the user's quota first; then the one file part streams through to file_store
 * while its row is `uploading`; once every part has been read, ffprobe judges the stored file
 * (media/upload-check.ts) and only audio turns the row `ready`, with the type and length the
 * decoder found. Any failure removes what was stored (file and row) before the error is
 * answered; if file_store cannot even be reached for that, the row stays `uploading` and the
 * reaper removes both later.
 */
export async function receiveUpload(
  request: FastifyRequest,
  userId: number,
  deps: UploadDependencies,
): Promise<ReceivedUpload> {
  const timings: UploadTimings = { quota: 0, store: 0, check: 0, publish: 0 };
  let stepStarted = performance.now();
  const stepDone = (step: keyof UploadTimings) => {
    const now = performance.now();
    timings[step] = now - stepStarted;
    stepStarted = now;
  };
  // What this upload may add: the smaller of the upload limit and what is left of the quota.
  const remaining = await uploadAllowance(deps.db, userId, deps.quota);
  stepDone('quota');
  const limit =
    remaining < deps.maxUploadBytes
      ? { bytes: remaining, error: () => new Errors.uploadOverQuota(remaining) }
      : { bytes: deps.maxUploadBytes, error: () => new Errors.fileTooLarge(deps.maxUploadBytes) };
  const parts = multipartParts(request, {
    fileSize: limit.bytes,
    files: 1,
    fields: 1,
    parts: 2,
    fieldSize: 4 * MAX_TITLE_LENGTH,
  });
  let title: string | undefined;
  let stored: StoredUpload | undefined;
  const heartbeat = new Heartbeat(deps);
  try {
    for await (const part of parts) {
      if (part.type === 'field') {
        if (part.fieldname !== 'title') throw new Errors.unexpectedField(part.fieldname);
        // Longer than even 200 four-byte characters: the parser cut it short.
        if (part.valueTruncated) throw new Errors.titleTooLong(MAX_TITLE_LENGTH);
        title = cleanTitle(String(part.value ?? ''));
      } else if (part.fieldname !== 'file') {
        part.file.destroy();
        throw new Errors.unexpectedField(part.fieldname);
      } else {
        stored = await storeFilePart(part, userId, { ...deps, limit }, heartbeat);
      }
    }
    if (!stored) throw new Errors.noFile();
    stepDone('store');
    const checked = stored;
    // publishStoredUpload removes it if it is refused, and no longer may once it publishes.
    stored = undefined;
    const row = await publishStoredUpload(checked, title, deps, () => stepDone('check'));
    stepDone('publish');
    return { row, timings };
  } catch (error) {
    if (stored) await discardUpload(stored.row, deps);
    throw error;
  } finally {
    heartbeat.stop();
  }
}

/**
 * A file whole in storage, its row still `uploading`: ffprobe judges it (without ffprobe on
 * this machine the verdict waits for processing: the sound is listed `pending` with the type
 * its first bytes suggest) and only audio turns the row `ready`, with the type and length the
 * decoder found. A refused file is removed with its row before the error is thrown. Once
 * publishing has begun, a failure may still have committed (the answer lost on the way back),
 * and removing the file would leave a listed sound without one: either the row is `ready` with
 * its whole file, or it is still `uploading` and the reaper removes both.
 */
export async function publishStoredUpload(
  stored: StoredUpload,
  title: string | undefined,
  deps: Pick<UploadDependencies, 'db' | 'fileStore' | 'uploadCheck' | 'maxDurationMs' | 'log'>,
  onChecked: () => void = () => {},
): Promise<SoundRow> {
  let audio: Awaited<ReturnType<UploadCheck['judge']>>;
  try {
    audio = await deps.uploadCheck.judge(
      deps.fileStore.readUrl(stored.row.storageKey),
      stored.sniffed,
    );
    onChecked();
    if (audio) refuseIfTooLong(audio.durationMs, stored.size, deps.maxDurationMs);
  } catch (error) {
    await discardUpload(stored.row, deps);
    throw error;
  }
  const row = await publishSound(deps.db, stored.row, {
    title: title ?? stored.row.title,
    size: stored.size,
    contentType: audio?.contentType ?? stored.sniffed.likelyType ?? 'application/octet-stream',
    durationMs: audio?.durationMs ?? null,
    audio: audio ?? null,
  });
  if (!row) {
    throw new Errors.storageUnavailable({
      cause: new Error('upload row vanished before publishing'),
    });
  }
  return row;
}

/**
 * The request's multipart parts. The parser's own failures (no boundary, a broken part) carry
 * no HTTP status; they are the client's fault, so they become 400 MALFORMED_MULTIPART here
 * rather than 500 later.
 */
async function* multipartParts(
  request: FastifyRequest,
  limits: FastifyMultipartBaseOptions['limits'],
): AsyncGenerator<Multipart> {
  const asClientError = (cause: unknown) =>
    cause instanceof Error && 'statusCode' in cause
      ? cause
      : new Errors.malformedMultipart({ cause });
  let iterator: AsyncIterator<Multipart>;
  try {
    iterator = request.parts({ limits })[Symbol.asyncIterator]();
  } catch (cause) {
    throw asClientError(cause);
  }
  try {
    while (true) {
      let next: IteratorResult<Multipart>;
      try {
        next = await iterator.next();
      } catch (cause) {
        throw asClientError(cause);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** Keeps an upload's row fresh while it is alive, so the reaper leaves it alone. */
export class Heartbeat {
  #timer: NodeJS.Timeout | undefined;
  readonly #deps: Pick<UploadDependencies, 'db' | 'log' | 'heartbeatMs'>;

  constructor(deps: Pick<UploadDependencies, 'db' | 'log' | 'heartbeatMs'>) {
    this.#deps = deps;
  }

  start(soundId: string): void {
    this.#timer = setInterval(() => {
      touchSound(this.#deps.db, soundId).catch((error) =>
        this.#deps.log.warn({ err: error }, 'upload heartbeat failed'),
      );
    }, this.#deps.heartbeatMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * The file part: its head is sniffed (what is plainly not sound is refused before a byte is
 * stored), then a row is inserted as `uploading` and the whole file streams to file_store.
 */
async function storeFilePart(
  part: MultipartFile,
  userId: number,
  deps: LimitedUpload,
  heartbeat: Heartbeat,
): Promise<StoredUpload> {
  const file = part.file;
  const sizeLimit = watchSizeLimit(file);
  const head = await readHead(file, HEAD_BYTES).catch((cause) => {
    throw new Errors.uploadAborted({ cause });
  });
  if (sizeLimit.exceeded()) throw deps.limit.error();
  if (head.length === 0) throw new Errors.emptyFile();
  const sniffed = sniff(head);
  if (sniffed.notAudio) {
    file.destroy();
    throw notAudio(sniffed.notAudio);
  }

  const filename = cleanFilename(part.filename);
  const row = await insertUploadingSound(deps.db, {
    userId,
    title: defaultTitle(filename),
    filename,
  });
  heartbeat.start(row.id);
  try {
    const size = await streamToStorage(file, head, row, sizeLimit, deps);
    return { row, size, sniffed };
  } catch (error) {
    await discardUpload(row, deps);
    throw error;
  }
}

/**
 * The size limit. In stream mode it does not throw: the stream just ends early, flagged, and
 * the upstream request must be aborted so no partial file is kept.
 */
function watchSizeLimit(file: MultipartFile['file']) {
  const upstream = new AbortController();
  let hit = false;
  file.once('limit', () => {
    hit = true;
    upstream.abort();
  });
  return {
    signal: upstream.signal,
    exceeded: () => hit || file.truncated,
  };
}

/** Streams the file (its head first, then the rest) to file_store; resolves to its size. */
async function streamToStorage(
  file: MultipartFile['file'],
  head: Buffer,
  row: SoundRow,
  sizeLimit: ReturnType<typeof watchSizeLimit>,
  deps: LimitedUpload,
): Promise<number> {
  const meter = byteCounter();
  // Set when the client's side fails (disconnect, malformed multipart), as opposed to storage.
  // `pipe`, not `pipeline`: a storage failure must not look like the client's stream failing.
  let clientError: unknown;
  finished(file, (error) => {
    if (!error) return;
    clientError ??= error;
    meter.destroy(error);
  });
  meter.write(head);
  // A small file has already ended: pipe then just ends the meter.
  file.pipe(meter);

  try {
    await deps.fileStore.storeSoundFile(row.storageKey, meter, sizeLimit.signal);
    if (sizeLimit.exceeded()) throw deps.limit.error();
    return meter.size;
  } catch (error) {
    // Read before destroying the part: destroying it counts as the client's stream failing.
    const failedOnClientSide = clientError !== undefined;
    file.destroy();
    if (sizeLimit.exceeded()) throw deps.limit.error();
    if (failedOnClientSide) throw new Errors.uploadAborted({ cause: clientError });
    throw error;
  }
}

/** Counts the bytes on their way to storage. */
export function byteCounter(): Transform & { size: number } {
  const meter = Object.assign(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        meter.size += chunk.length;
        callback(null, chunk);
      },
    }),
    { size: 0 },
  );
  return meter;
}

/** Removes a failed upload's file and row; if file_store is down, the reaper finishes later. */
export async function discardUpload(
  row: SoundRow,
  deps: Pick<UploadDependencies, 'db' | 'fileStore' | 'log'>,
): Promise<void> {
  try {
    await deps.fileStore.deleteSoundFile(row.storageKey);
    await deleteSoundRow(deps.db, row.id);
  } catch (error) {
    deps.log.warn(
      { err: error, soundId: row.id },
      'could not clean up a failed upload; the reaper will',
    );
  }
}

/**
 * 422 for a file whose container claims more sound than it may hold: more than its bytes can
 * carry (a decompression bomb, a forged header) or more than MAX_DURATION_MS.
 */
function refuseIfTooLong(durationMs: number | null, size: number, maxDurationMs: number): void {
  const boundMs = durationBoundMs(size, maxDurationMs);
  if (durationMs === null || durationMs <= boundMs) return;
  const claims = `The file claims ${formatLength(durationMs)} of sound`;
  throw new Errors.audioTooLong(
    boundMs === maxDurationMs
      ? `${claims}, more than the limit of ${formatLength(maxDurationMs)}`
      : `${claims}, more than its ${size} bytes can hold (at most ${formatLength(boundMs)})`,
  );
}

/** "26 h 30 min", "4 min 5 s", "12 s": a length for people. */
function formatLength(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

import { finished, Transform } from 'node:stream';
import type { FastifyMultipartBaseOptions, Multipart, MultipartFile } from '@fastify/multipart';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import type { Database } from '../db/client.ts';
import type { SoundRow } from '../db/schema.ts';
import { Errors } from '../lib/errors.ts';
import { detectAudioType, SNIFF_BYTES } from './audio-type.ts';
import { type DurationProbe, startDurationProbe } from './duration.ts';
import { cleanFilename, defaultTitle, MAX_TITLE_LENGTH } from './filename.ts';
import { readHead } from './read-head.ts';
import { deleteSoundRow, insertUploadingSound, publishSound, touchSound } from './repository.ts';

export interface UploadDependencies {
  db: Database;
  fileStore: FileStore;
  log: FastifyBaseLogger;
  maxUploadBytes: number;
  /** How often a live upload refreshes its row (well under the reaper's staleness limit). */
  heartbeatMs: number;
}

/** A file that reached storage; its row is still `uploading`. */
interface StoredUpload {
  row: SoundRow;
  size: number;
  durationMs: number | null;
}

/**
 * POST /sounds, as DESIGN.md's upload flow: the one file part streams through to file_store
 * while its row is `uploading`; the row turns `ready` only once every part has been read. Any
 * failure removes what was stored (file and row) before the error is answered; if file_store
 * cannot even be reached for that, the row stays `uploading` and the reaper removes both later.
 */
export async function receiveUpload(
  request: FastifyRequest,
  userId: number,
  deps: UploadDependencies,
): Promise<SoundRow> {
  const parts = multipartParts(request, {
    fileSize: deps.maxUploadBytes,
    files: 1,
    fields: 1,
    parts: 2,
    fieldSize: 4 * MAX_TITLE_LENGTH,
  });
  let title: string | undefined;
  let stored: StoredUpload | undefined;
  try {
    for await (const part of parts) {
      if (part.type === 'field') {
        if (part.fieldname !== 'title') throw new Errors.unexpectedField(part.fieldname);
        // Longer than even 200 four-byte characters: the parser cut it short.
        if (part.valueTruncated) throw new Errors.titleTooLong(MAX_TITLE_LENGTH);
        title = readTitle(part.value);
      } else if (part.fieldname !== 'file') {
        part.file.destroy();
        throw new Errors.unexpectedField(part.fieldname);
      } else {
        stored = await storeFilePart(part, userId, deps);
      }
    }
    if (!stored) throw new Errors.noFile();
    const published = stored;
    // From here the upload is no longer ours to discard: if publishing fails, it may still have
    // committed (the answer lost on the way back), and removing the file would leave a listed
    // sound without one. Either the row is `ready` with its whole file, or it is still
    // `uploading` and the reaper removes both.
    stored = undefined;
    const row = await publishSound(deps.db, published.row.id, {
      title: title ?? published.row.title,
      size: published.size,
      durationMs: published.durationMs,
    });
    if (!row)
      throw new Errors.storageUnavailable({
        cause: new Error('upload row vanished before publishing'),
      });
    return row;
  } catch (error) {
    if (stored) await discardUpload(stored.row, deps);
    throw error;
  }
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

function readTitle(value: unknown): string | undefined {
  const title = String(value ?? '').trim();
  // Counted in characters (code points), as the schema's maxLength is, not UTF-16 units.
  if ([...title].length > MAX_TITLE_LENGTH) throw new Errors.titleTooLong(MAX_TITLE_LENGTH);
  return title || undefined;
}

async function storeFilePart(
  part: MultipartFile,
  userId: number,
  deps: UploadDependencies,
): Promise<StoredUpload> {
  const file = part.file;
  // In stream mode the size limit does not throw: the stream just ends early, flagged here.
  let tooLarge = false;
  const upstream = new AbortController();
  file.once('limit', () => {
    tooLarge = true;
    upstream.abort();
  });

  const head = await readHead(file, SNIFF_BYTES).catch((cause) => {
    throw new Errors.uploadAborted({ cause });
  });
  if (tooLarge || file.truncated) throw new Errors.fileTooLarge(deps.maxUploadBytes);
  if (head.length === 0) throw new Errors.emptyFile();
  const contentType = await detectAudioType(head);
  if (!contentType) {
    file.destroy();
    throw new Errors.notAudio(
      'The file is not a supported audio format (mp3, wav, ogg, opus, flac, m4a, aac, webm or aiff)',
    );
  }

  const filename = cleanFilename(part.filename);
  const row = await insertUploadingSound(deps.db, {
    userId,
    title: defaultTitle(filename),
    filename,
    contentType,
  });
  const heartbeat = setInterval(() => {
    touchSound(deps.db, row.id).catch((error) =>
      deps.log.warn({ err: error }, 'upload heartbeat failed'),
    );
  }, deps.heartbeatMs);

  const probe = startDurationProbe(contentType);
  const meter = meterUpload(probe);
  // Set when the client's side fails (disconnect, malformed multipart), as opposed to storage.
  // `pipe`, not `pipeline`: a storage failure must not look like the client's stream failing.
  let clientError: unknown;
  finished(file, (error) => {
    if (!error) return;
    clientError ??= error;
    meter.destroy(error);
  });
  // The sniffed head first, then the rest (a small file has already ended: pipe then just ends).
  meter.write(head);
  file.pipe(meter);

  try {
    await deps.fileStore.storeSoundFile(row.storageKey, meter, upstream.signal);
    if (tooLarge || file.truncated) throw new Errors.fileTooLarge(deps.maxUploadBytes);
    return { row, size: meter.size, durationMs: await probe.finish() };
  } catch (error) {
    // Read before destroying the part: destroying it counts as the client's stream failing.
    const failedOnClientSide = clientError !== undefined;
    probe.abort();
    file.destroy();
    await discardUpload(row, deps);
    if (tooLarge) throw new Errors.fileTooLarge(deps.maxUploadBytes);
    if (failedOnClientSide) throw new Errors.uploadAborted({ cause: clientError });
    throw error;
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * Counts the bytes on their way to storage and hands each chunk to the duration probe, holding
 * the stream back only while the probe's buffer is full.
 */
function meterUpload(probe: DurationProbe): Transform & { size: number } {
  const meter = Object.assign(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        meter.size += chunk.length;
        const full = probe.feed(chunk);
        if (full) full.then(() => callback(null, chunk));
        else callback(null, chunk);
      },
    }),
    { size: 0 },
  );
  return meter;
}

/** Removes a failed upload's file and row; if file_store is down, the reaper finishes later. */
async function discardUpload(row: SoundRow, deps: UploadDependencies): Promise<void> {
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

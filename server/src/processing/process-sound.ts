import { randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
import type { Database } from '../db/client.ts';
import type { SoundRow } from '../db/schema.ts';
import { findSoundById } from '../sounds/repository.ts';
import type { Ffmpeg } from './ffmpeg.ts';
import {
  type ClaimedJob,
  completeJob,
  dropJob,
  failJob,
  recordKeys,
  releaseJob,
  renewLease,
  retryJob,
} from './jobs.ts';
import { RenderFailed, renderSound, STREAM_BITRATE_KBPS, STREAM_CONTENT_TYPE } from './render.ts';

export interface ProcessingDependencies {
  db: Database;
  fileStore: FileStore;
  ffmpeg: Ffmpeg;
  log: FastifyBaseLogger;
  /** file_store's base URL, from which ffmpeg reads the original. */
  fileStoreUrl: string;
  maxAttempts: number;
  /** The wait before the second attempt; it doubles for each one after. */
  retryDelayMs: number;
  /** A claim's lease, renewed every third of it while the attempt runs. */
  leaseMs: number;
}

export type JobOutcome = 'done' | 'failed' | 'retry' | 'dropped' | 'lost' | 'released';

/**
 * One attempt at a sound's processing job: decode the original once (ffmpeg, budgeted) into
 * its exact length, its waveform and (unless the original already is one) its listening
 * rendition; store the derivatives under fresh keys, recorded on the job before they are
 * written; then record the results, only while this attempt still holds the job's lease.
 * Whatever does not end up recorded is removed again.
 */
export async function processJob(
  job: ClaimedJob,
  deps: ProcessingDependencies,
  shutdown: AbortSignal,
): Promise<JobOutcome> {
  // The lease is kept while the attempt runs; once it is lost (the database gave the job to
  // another attempt), this one stops.
  const lost = new AbortController();
  const keeper = setInterval(() => {
    renewLease(deps.db, job, deps.leaseMs).then(
      (held) => held || lost.abort(),
      () => {}, // the database is down: keep going; the lease may still hold
    );
  }, deps.leaseMs / 3);
  try {
    const outcome = await attempt(job, deps, AbortSignal.any([shutdown, lost.signal]), shutdown);
    return lost.signal.aborted && outcome !== 'done' ? 'lost' : outcome;
  } finally {
    clearInterval(keeper);
  }
}

async function attempt(
  job: ClaimedJob,
  deps: ProcessingDependencies,
  signal: AbortSignal,
  shutdown: AbortSignal,
): Promise<JobOutcome> {
  const log = deps.log.child({ soundId: job.soundId, attempt: job.attempts });
  log.info('processing a sound');
  // A crashed earlier attempt's files go first; without that, nothing else may be written.
  if (!(await removeFiles(deps.fileStore, job.leftoverKeys, log))) {
    await retryJob(
      deps.db,
      job,
      'file_store could not remove an earlier attempt',
      deps.retryDelayMs,
    );
    return 'retry';
  }
  const sound = await findSoundById(deps.db, job.soundId);
  if (sound?.status !== 'ready') {
    await dropJob(deps.db, job);
    return 'dropped';
  }

  const reuseOriginal = playsAsStream(sound);
  const streamKey = reuseOriginal ? sound.storageKey : randomUUID();
  const waveformKey = randomUUID();
  const written = reuseOriginal ? [waveformKey] : [streamKey, waveformKey];
  if (
    !(await recordKeys(deps.db, job, { streamKey: reuseOriginal ? null : streamKey, waveformKey }))
  ) {
    return 'lost';
  }

  try {
    await expectOriginal(deps.fileStore, sound);
    let streamSize = reuseOriginal ? sound.size : 0;
    const rendered = await renderSound({
      ffmpeg: deps.ffmpeg,
      inputUrl: `${deps.fileStoreUrl.replace(/\/+$/, '')}/files/${encodeURIComponent(sound.storageKey)}`,
      contentType: sound.contentType,
      signal,
      ...(reuseOriginal
        ? {}
        : {
            storeStream: (rendition: Readable) =>
              deps.fileStore.storeSoundFile(
                streamKey,
                rendition.pipe(
                  countBytes((bytes) => {
                    streamSize += bytes;
                  }),
                ),
              ),
          }),
    });
    await deps.fileStore.storeSoundFile(
      waveformKey,
      Readable.from([Buffer.from(JSON.stringify(rendered.waveform))]),
    );
    const recorded = await completeJob(deps.db, job, {
      streamKey,
      streamContentType: reuseOriginal ? sound.contentType : STREAM_CONTENT_TYPE,
      streamSize,
      waveformKey,
      durationMs: rendered.durationMs,
    });
    if (recorded) {
      log.info({ durationMs: rendered.durationMs, reuseOriginal }, 'sound processed');
      return 'done';
    }
    // Another attempt holds the job now, or the sound is being deleted.
    await removeFiles(deps.fileStore, written, log);
    return 'lost';
  } catch (error) {
    const cleaned = await removeFiles(deps.fileStore, written, log);
    if (shutdown.aborted) {
      await releaseJob(deps.db, job);
      return 'released';
    }
    if (signal.aborted) return 'lost';
    const reason = error instanceof Error ? error.message : String(error);
    const retryable = !(error instanceof RenderFailed) || error.retryable;
    if (cleaned && (!retryable || job.attempts >= deps.maxAttempts)) {
      log.warn({ reason }, 'sound processing failed');
      await failJob(deps.db, job, reason);
      return 'failed';
    }
    log.warn({ reason }, 'sound processing will be tried again');
    await retryJob(deps.db, job, reason, backoffMs(deps.retryDelayMs, job.attempts));
    return 'retry';
  }
}

/**
 * An MP3 at or below the rendition's bitrate plays everywhere already: it is its own
 * rendition (no copy, nothing lost to a second encoding).
 */
function playsAsStream(sound: SoundRow): boolean {
  if (sound.contentType !== STREAM_CONTENT_TYPE || !sound.durationMs) return false;
  const kbps = (sound.size * 8) / sound.durationMs;
  return kbps <= STREAM_BITRATE_KBPS * 1.05;
}

/** file_store must have the original before ffmpeg is asked to read it: its absence is ours. */
async function expectOriginal(fileStore: FileStore, sound: SoundRow): Promise<void> {
  const head = await fileStore.openSoundFile(sound.storageKey, { method: 'HEAD', headers: {} });
  await discardBody(head.body);
  if (head.statusCode !== 200) {
    throw new RenderFailed(`file_store answered ${head.statusCode} for the original`, true);
  }
}

/** Deletes `keys` in file_store; false (logged) when it could not. */
async function removeFiles(
  fileStore: FileStore,
  keys: string[],
  log: FastifyBaseLogger,
): Promise<boolean> {
  try {
    for (const key of keys) await fileStore.deleteSoundFile(key);
    return true;
  } catch (error) {
    log.warn({ err: error, keys }, 'could not remove derivatives');
    return false;
  }
}

function countBytes(onChunk: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk.length);
      callback(null, chunk);
    },
  });
}

/**
 * The wait before attempt `attempts + 1`: doubling from `baseMs`, at most 32 × `baseMs` (5 min
 * by default). An attempt that could not clean up after itself (file_store down) is always
 * tried again, however many came before; it must not wait hours once file_store is back.
 */
export function backoffMs(baseMs: number, attempts: number): number {
  return baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 5);
}

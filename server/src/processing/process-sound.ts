import { randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
import type { Database } from '../db/client.ts';
import type { SoundRow } from '../db/schema.ts';
import { familyOfDemuxer } from '../media/formats.ts';
import { type ProbedAudio, probeAudio } from '../media/probe.ts';
import type { MediaTool, ToolBudget } from '../media/tool.ts';
import { findSoundById } from '../sounds/repository.ts';
import { durationBoundMs, renditionByteBudget, scaledBudget } from './budget.ts';
import { ProcessingFailed } from './failures.ts';
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
import { renderSound, STREAM_BITRATE_KBPS, STREAM_CONTENT_TYPE } from './render.ts';

export interface ProcessingDependencies {
  db: Database;
  fileStore: FileStore;
  ffmpeg: MediaTool;
  ffprobe: MediaTool;
  /** The most one job's ffmpeg may take; each job gets its share (processing/budget.ts). */
  budget: ToolBudget;
  /** The longest sound accepted, whatever its size. */
  maxDurationMs: number;
  log: FastifyBaseLogger;
  maxAttempts: number;
  /** The wait before the second attempt; it doubles for each one after. */
  retryDelayMs: number;
  /** A claim's lease, renewed every third of it while the attempt runs. */
  leaseMs: number;
}

export type JobOutcome = 'done' | 'failed' | 'retry' | 'dropped' | 'lost' | 'released';

/**
 * One attempt at a sound's processing job: what ffprobe found at upload (or, for an upload taken
 * while ffprobe was missing, its verdict now), then ffmpeg decodes it once (budgeted) into
 * its exact length, waveform, loudness and (unless the original already is one) its listening
 * rendition; the derivatives are stored under fresh keys, recorded on the job before they are
 * written; then the results are recorded, only while this attempt still holds the job's lease.
 * Whatever does not end up recorded is removed again, and so are the derivatives the results
 * replace (a sound processed again keeps playing its former ones until then).
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
    await retryJob(deps.db, job, 'storage', deps.retryDelayMs);
    return 'retry';
  }
  const sound = await findSoundById(deps.db, job.soundId);
  if (sound?.status !== 'ready') {
    await dropJob(deps.db, job);
    return 'dropped';
  }
  const failed = (error: unknown, written: string[]) =>
    afterFailure({ job, deps, log, error, written, shutdown, signal });

  let found: ProbedAudio;
  const boundMs = durationBoundMs(sound.size, deps.maxDurationMs);
  try {
    await expectOriginal(deps.fileStore, sound);
    // Judged at upload already (one ffprobe fewer); else (no ffprobe then, or an older sound) now.
    found = sound.audio ?? (await judge(deps, sound));
    if (found.durationMs !== null && found.durationMs > boundMs) {
      throw new ProcessingFailed('too-long', `declares ${found.durationMs} ms of ${boundMs}`);
    }
  } catch (error) {
    return failed(error, []);
  }

  const reuseOriginal = playsAsStream(found, sound.size);
  const streamKey = reuseOriginal ? sound.storageKey : randomUUID();
  const waveformKey = randomUUID();
  const written = reuseOriginal ? [waveformKey] : [streamKey, waveformKey];
  if (
    !(await recordKeys(deps.db, job, { streamKey: reuseOriginal ? null : streamKey, waveformKey }))
  ) {
    return 'lost';
  }

  try {
    let streamSize = reuseOriginal ? sound.size : 0;
    const rendered = await renderSound({
      ffmpeg: deps.ffmpeg,
      inputUrl: deps.fileStore.readUrl(sound.storageKey),
      found,
      signal,
      boundMs,
      budget: scaledBudget(found.durationMs ?? boundMs, deps.budget),
      ...(reuseOriginal
        ? {}
        : {
            storeStream: (rendition: Readable) =>
              deps.fileStore.storeSoundFile(
                streamKey,
                rendition.pipe(
                  countBytes(renditionByteBudget(boundMs), (bytes) => {
                    streamSize += bytes;
                  }),
                ),
              ),
          }),
    });
    const waveform = Buffer.from(JSON.stringify(rendered.waveform));
    await deps.fileStore.storeSoundFile(waveformKey, Readable.from([waveform]));
    const replaced = await completeJob(deps.db, job, {
      contentType: servedType(sound.contentType, found),
      streamKey,
      streamContentType: reuseOriginal ? sound.contentType : STREAM_CONTENT_TYPE,
      streamSize,
      waveformKey,
      waveformSize: waveform.length,
      durationMs: rendered.durationMs,
      loudness: rendered.loudness,
    });
    if (replaced) {
      log.info({ durationMs: rendered.durationMs, reuseOriginal }, 'sound processed');
      // A sound processed again (its loudness backfilled): its former derivatives go now.
      const former = replaced.filter((key) => key !== sound.storageKey && !written.includes(key));
      await removeFiles(deps.fileStore, former, log);
      return 'done';
    }
    // Another attempt holds the job now, or the sound is being deleted.
    await removeFiles(deps.fileStore, written, log);
    return 'lost';
  } catch (error) {
    return failed(error, written);
  }
}

/** After a failed attempt: clean up, then give the job back, retry it later, or fail it. */
async function afterFailure(attempt: {
  job: ClaimedJob;
  deps: ProcessingDependencies;
  log: FastifyBaseLogger;
  error: unknown;
  /** The derivatives it may have written. */
  written: string[];
  shutdown: AbortSignal;
  signal: AbortSignal;
}): Promise<JobOutcome> {
  const { job, deps, log, error } = attempt;
  const cleaned = await removeFiles(deps.fileStore, attempt.written, log);
  if (attempt.shutdown.aborted) {
    await releaseJob(deps.db, job);
    return 'released';
  }
  if (attempt.signal.aborted) return 'lost';
  // Deleted meanwhile (its file gone from under ffmpeg): nothing left to process.
  if ((await findSoundById(deps.db, job.soundId))?.status !== 'ready') {
    await dropJob(deps.db, job);
    return 'lost';
  }
  const failure =
    error instanceof ProcessingFailed ? error : new ProcessingFailed('internal', String(error));
  const details = { reason: failure.reason, detail: failure.message };
  if (cleaned && (!failure.retryable || job.attempts >= deps.maxAttempts)) {
    log.warn(details, 'sound processing failed');
    await failJob(deps.db, job, failure.reason);
    return 'failed';
  }
  log.warn(details, 'sound processing will be tried again');
  await retryJob(deps.db, job, failure.reason, backoffMs(deps.retryDelayMs, job.attempts));
  return 'retry';
}

/** ffprobe's verdict on the stored original; a processing failure when it is not audio. */
async function judge(deps: ProcessingDependencies, sound: SoundRow): Promise<ProbedAudio> {
  const verdict = await probeAudio(deps.ffprobe, deps.fileStore.readUrl(sound.storageKey), {
    ebmlDocType: sound.contentType === 'audio/webm' ? 'webm' : undefined,
  });
  if (verdict.audio) return verdict.found;
  if (verdict.why === 'storage') throw new ProcessingFailed('storage', verdict.finding);
  if (verdict.why === 'over-budget') throw new ProcessingFailed('over-time', verdict.finding);
  if (verdict.why === 'busy') throw new ProcessingFailed('over-time', verdict.finding, true);
  throw new ProcessingFailed(verdict.why, verdict.finding);
}

/**
 * The type the original is served with: the one it has when the decoder agrees on its family
 * (it may be more precise, e.g. WebM rather than Matroska), else what the decoder found.
 */
function servedType(current: string, found: ProbedAudio): string {
  const type = current.split(';')[0]?.trim().toLowerCase() ?? '';
  return familyOfDemuxer(found.demuxer)?.types.includes(type) ? current : found.contentType;
}

/**
 * An MP3 (Layer III: Layer II plays in few browsers) at or below the rendition's bitrate plays
 * everywhere already: it is its own rendition (no copy, nothing lost to a second encoding).
 */
function playsAsStream(found: ProbedAudio, size: number): boolean {
  if (found.demuxer !== 'mp3' || found.codec !== 'mp3' || !found.durationMs) return false;
  const kbps = (size * 8) / found.durationMs;
  return kbps <= STREAM_BITRATE_KBPS * 1.05;
}

/** file_store must have the original before ffmpeg is asked to read it: its absence is ours. */
async function expectOriginal(fileStore: FileStore, sound: SoundRow): Promise<void> {
  const head = await fileStore.openSoundFile(sound.storageKey, { method: 'HEAD', headers: {} });
  await discardBody(head.body);
  if (head.statusCode !== 200) {
    const reason = head.statusCode === 404 ? 'file-missing' : 'storage';
    throw new ProcessingFailed(reason, `file_store answered ${head.statusCode} for the original`);
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

/** Counts the rendition's bytes as they are written; past `limit` the job stops, `too-long`. */
function countBytes(limit: number, onChunk: (bytes: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > limit) {
        callback(new ProcessingFailed('too-long', `the rendition passed ${limit} bytes`));
        return;
      }
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

import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { and, eq, sql } from '../db/orm.ts';
import { rowsOf } from '../db/rows.ts';
import { processingJobs, processingTurns, soundsTable } from '../db/schema.ts';

/**
 * The SQL of processing jobs (see the `processing_jobs` table): claim one with a lease, record
 * what the attempt writes, and end it — done, to be retried, or failed — only while holding the
 * lease's token, so that of two workers that believe they hold a job only one records a result.
 */

export interface ClaimedJob {
  soundId: string;
  token: string;
  attempts: number;
  /** Derivatives a crashed earlier attempt may have left: to remove before starting. */
  leftoverKeys: string[];
}

/**
 * Claims a due job (or undefined) with a lease of `leaseMs` and a fresh token: of the uploaders
 * with due jobs, the one whose job was claimed longest ago (or never) goes first, and of theirs
 * the job due longest. Round robin across uploaders: whoever has a backlog, anyone else's sound
 * waits one job at most.
 */
export async function claimJob(db: Database, leaseMs: number): Promise<ClaimedJob | undefined> {
  const token = randomUUID();
  const due = sql`
    select ${processingJobs.soundId} from ${processingJobs}
    join ${soundsTable} on ${soundsTable.id} = ${processingJobs.soundId}
    left join ${processingTurns} on ${processingTurns.userId} = ${soundsTable.userId}
    where ${processingJobs.runAfter} <= now()
      and (${processingJobs.leaseUntil} is null or ${processingJobs.leaseUntil} < now())
    order by ${processingTurns.lastClaimedAt} asc nulls first, ${processingJobs.runAfter} asc
    limit 1
    for update of ${processingJobs} skip locked`;
  // The keys before this claim are read in the same statement that overwrites them.
  const result = await db.execute(sql`
    with previous as (
      select ${processingJobs.soundId} as sound_id, ${processingJobs.streamKey} as stream_key,
             ${processingJobs.waveformKey} as waveform_key
      from ${processingJobs} where ${processingJobs.soundId} = (${due})
    ), turn as (
      insert into ${processingTurns} (user_id, last_claimed_at)
      select ${soundsTable.userId}, now() from ${soundsTable}
      where ${soundsTable.id} = (select sound_id from previous)
      on conflict (user_id) do update set last_claimed_at = now()
    )
    update ${processingJobs}
    set attempts = ${processingJobs.attempts} + 1,
        lease_until = now() + make_interval(secs => ${leaseMs / 1000}),
        lease_token = ${token}, stream_key = null, waveform_key = null
    from previous
    where ${processingJobs.soundId} = previous.sound_id
    returning ${processingJobs.soundId} as sound_id, ${processingJobs.attempts} as attempts,
              previous.stream_key as old_stream_key, previous.waveform_key as old_waveform_key`);
  const [row] = rowsOf<{
    sound_id: string;
    attempts: number;
    old_stream_key: string | null;
    old_waveform_key: string | null;
  }>(result);
  if (!row) return undefined;
  return {
    soundId: row.sound_id,
    token,
    attempts: Number(row.attempts),
    leftoverKeys: [row.old_stream_key, row.old_waveform_key].filter(
      (key): key is string => key !== null,
    ),
  };
}

/** Extends the lease of a job still being worked on. False when it was lost meanwhile. */
export async function renewLease(db: Database, job: ClaimedJob, leaseMs: number): Promise<boolean> {
  const renewed = await db
    .update(processingJobs)
    .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(and(eq(processingJobs.soundId, job.soundId), eq(processingJobs.leaseToken, job.token)))
    .returning({ soundId: processingJobs.soundId });
  return renewed.length > 0;
}

/** Records the keys this attempt is about to write. False when the lease was lost. */
export async function recordKeys(
  db: Database,
  job: ClaimedJob,
  keys: { streamKey: string | null; waveformKey: string },
): Promise<boolean> {
  const updated = await db
    .update(processingJobs)
    .set(keys)
    .where(and(eq(processingJobs.soundId, job.soundId), eq(processingJobs.leaseToken, job.token)))
    .returning({ soundId: processingJobs.soundId });
  return updated.length > 0;
}

export interface Derivatives {
  /** The original's type, as the decoder confirmed it. */
  contentType: string;
  streamKey: string;
  streamContentType: string;
  streamSize: number;
  waveformKey: string;
  waveformSize: number;
  durationMs: number;
  loudness: { integratedLufs: number; truePeakDbtp: number } | null;
}

/**
 * The job is done: its row goes and the sound gets its derivatives, in one statement. Resolves
 * to the derivative keys the sound had before (none, unless it was processed again), or
 * undefined when the lease was lost or the sound is no longer `ready` (being deleted): the
 * caller then removes what it wrote.
 */
export async function completeJob(
  db: Database,
  job: ClaimedJob,
  results: Derivatives,
): Promise<string[] | undefined> {
  const rows = await db.execute(sql`
    with done as (
      delete from ${processingJobs}
      where ${processingJobs.soundId} = ${job.soundId} and ${processingJobs.leaseToken} = ${job.token}
      returning ${processingJobs.soundId} as sound_id
    ), former as (
      select ${soundsTable.id} as sound_id, ${soundsTable.streamKey} as stream_key,
             ${soundsTable.waveformKey} as waveform_key
      from ${soundsTable} where ${soundsTable.id} = ${job.soundId}
    )
    update ${soundsTable}
    set processing = 'ready', processing_error = null, content_type = ${results.contentType},
        stream_key = ${results.streamKey}, stream_content_type = ${results.streamContentType},
        stream_size = ${results.streamSize}, waveform_key = ${results.waveformKey},
        waveform_size = ${results.waveformSize},
        duration_ms = ${results.durationMs},
        loudness_lufs = ${results.loudness?.integratedLufs ?? null},
        true_peak_dbtp = ${results.loudness?.truePeakDbtp ?? null}
    from done join former using (sound_id)
    where ${soundsTable.id} = done.sound_id and ${soundsTable.status} = 'ready'
    returning former.stream_key, former.waveform_key`);
  const [row] = rowsOf<{ stream_key: string | null; waveform_key: string | null }>(rows);
  if (!row) return undefined;
  return [row.stream_key, row.waveform_key].filter((key): key is string => key !== null);
}

/**
 * The sound cannot be processed: it keeps its original, with `processing: failed` and the
 * reason. A sound that was ready already (processed again) stays ready as it was.
 */
export async function failJob(db: Database, job: ClaimedJob, reason: string): Promise<boolean> {
  const rows = await db.execute(sql`
    with done as (
      delete from ${processingJobs}
      where ${processingJobs.soundId} = ${job.soundId} and ${processingJobs.leaseToken} = ${job.token}
      returning ${processingJobs.soundId} as sound_id
    )
    update ${soundsTable}
    set processing_error = case when processing = 'ready' then null else ${reason} end,
        processing = case when processing = 'ready' then 'ready' else 'failed' end
    from done where ${soundsTable.id} = done.sound_id
    returning ${soundsTable.id}`);
  return rowsOf(rows).length > 0;
}

/**
 * Queues a failed sound of `userId` for another try: it turns `pending` with a fresh job.
 * Resolves to the row, or to why not: no such ready sound, someone else's, or not failed.
 */
export async function retryFailedSound(
  db: Database,
  soundId: string,
  userId: number,
): Promise<'not-found' | 'not-owner' | 'not-failed' | 'queued'> {
  const result = await db.execute(sql`
    with target as (
      select ${soundsTable.id} as id, ${soundsTable.userId} as user_id,
             ${soundsTable.processing} as processing
      from ${soundsTable}
      where ${soundsTable.id} = ${soundId} and ${soundsTable.status} = 'ready'
      for update
    ), queued as (
      update ${soundsTable} set processing = 'pending', processing_error = null
      from target
      where ${soundsTable.id} = target.id and target.user_id = ${userId}
        and target.processing = 'failed'
      returning ${soundsTable.id} as id
    ), job as (
      insert into ${processingJobs} (sound_id) select id from queued
      on conflict do nothing returning sound_id
    )
    select target.user_id, target.processing, (select count(*) from queued) as queued
    from target`);
  const [row] = rowsOf<{ user_id: number; processing: string; queued: number | string }>(result);
  if (!row) return 'not-found';
  if (Number(row.user_id) !== userId) return 'not-owner';
  return Number(row.queued) > 0 ? 'queued' : 'not-failed';
}

/** Gives the job back, to be tried again after `delayMs`. */
export async function retryJob(
  db: Database,
  job: ClaimedJob,
  reason: string,
  delayMs: number,
): Promise<void> {
  await db
    .update(processingJobs)
    .set({
      runAfter: sql`now() + make_interval(secs => ${delayMs / 1000})`,
      leaseUntil: null,
      leaseToken: null,
      streamKey: null,
      waveformKey: null,
      lastError: reason,
    })
    .where(and(eq(processingJobs.soundId, job.soundId), eq(processingJobs.leaseToken, job.token)));
}

/**
 * Gives the job back at once, its attempt not counted (this process is stopping). The keys
 * stay recorded for the next attempt to remove.
 */
export async function releaseJob(db: Database, job: ClaimedJob): Promise<void> {
  await db
    .update(processingJobs)
    .set({ leaseUntil: null, leaseToken: null, attempts: sql`${processingJobs.attempts} - 1` })
    .where(and(eq(processingJobs.soundId, job.soundId), eq(processingJobs.leaseToken, job.token)));
}

/** The job of a sound that is gone or going: nothing to process. */
export async function dropJob(db: Database, job: ClaimedJob): Promise<void> {
  await db
    .delete(processingJobs)
    .where(and(eq(processingJobs.soundId, job.soundId), eq(processingJobs.leaseToken, job.token)));
}

/** The derivative keys a sound's unfinished job has recorded (for its delete). */
export async function pendingDerivativeKeys(db: Database, soundId: string): Promise<string[]> {
  const [job] = await db
    .select({ streamKey: processingJobs.streamKey, waveformKey: processingJobs.waveformKey })
    .from(processingJobs)
    .where(eq(processingJobs.soundId, soundId));
  return [job?.streamKey, job?.waveformKey].filter((key): key is string => !!key);
}

import type { Database } from '../db/client.ts';
import { sql } from '../db/orm.ts';
import { rowsOf } from '../db/rows.ts';
import { soundsTable } from '../db/schema.ts';
import { Errors } from '../lib/errors.ts';
import { pendingJobCount } from '../processing/jobs.ts';

/** What one user may keep and queue (USER_STORAGE_BYTES, USER_PENDING_SOUNDS). */
export interface UserQuota {
  storageBytes: number;
  pendingSounds: number;
}

/** What a user holds against their quota. */
export interface QuotaUse {
  /** Bytes their sounds take in file_store: originals, renditions and waveforms. */
  storedBytes: number;
  /** Their sounds waiting to be processed. */
  pendingSounds: number;
}

export async function quotaUseOf(db: Database, userId: number): Promise<QuotaUse> {
  const [stored, pendingSounds] = await Promise.all([
    storedBytesOf(db, userId),
    pendingJobCount(db, userId),
  ]);
  return { storedBytes: stored, pendingSounds };
}

/**
 * Before an upload is read: 429 when the user already has their quota of sounds waiting for
 * processing, 413 when their storage is full. Resolves to the most bytes this upload may add.
 */
export async function uploadAllowance(
  db: Database,
  userId: number,
  quota: UserQuota,
): Promise<number> {
  const use = await quotaUseOf(db, userId);
  if (use.pendingSounds >= quota.pendingSounds) {
    throw new Errors.tooManyPending(use.pendingSounds, quota.pendingSounds);
  }
  const remaining = quota.storageBytes - use.storedBytes;
  if (remaining <= 0) throw new Errors.quotaExceeded(use.storedBytes, quota.storageBytes);
  return remaining;
}

/**
 * Every file of the user's sounds, in any state (one being uploaded or deleted still takes its
 * room): the original, its rendition when it is a file of its own, and its waveform.
 */
async function storedBytesOf(db: Database, userId: number): Promise<number> {
  const result = await db.execute(sql`
    select coalesce(sum(${soundsTable.size}
      + case when ${soundsTable.streamKey} is distinct from ${soundsTable.storageKey}
             then coalesce(${soundsTable.streamSize}, 0) else 0 end
      + coalesce(${soundsTable.waveformSize}, 0)), 0) as bytes
    from ${soundsTable} where ${soundsTable.userId} = ${userId}`);
  return Number(rowsOf<{ bytes: number | string }>(result)[0]?.bytes ?? 0);
}

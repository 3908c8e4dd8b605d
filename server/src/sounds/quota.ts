import type { Database } from '../db/client.ts';
import { sql } from '../db/orm.ts';
import { rowsOf } from '../db/rows.ts';
import { processingJobs, soundsTable } from '../db/schema.ts';
import { Errors } from '../lib/errors.ts';

/** What one user may keep and queue (USER_STORAGE_BYTES, USER_PENDING_SOUNDS). */
export interface UserQuota {
  storageBytes: number;
  pendingSounds: number;
}

/** What a user holds against their quota. */
export interface QuotaUse {
  /**
   * Bytes their sounds take in file_store, in any state (one being uploaded or deleted still
   * takes its room): originals, renditions that are files of their own, waveforms.
   */
  storedBytes: number;
  /** Their sounds waiting to be processed. */
  pendingSounds: number;
}

export async function quotaUseOf(db: Database, userId: number): Promise<QuotaUse> {
  // One round trip: it runs before every upload.
  const result = await db.execute(sql`
    select
      (select coalesce(sum(${soundsTable.size}
          + case when ${soundsTable.streamKey} is distinct from ${soundsTable.storageKey}
                 then coalesce(${soundsTable.streamSize}, 0) else 0 end
          + coalesce(${soundsTable.waveformSize}, 0)), 0)
       from ${soundsTable} where ${soundsTable.userId} = ${userId}) as stored_bytes,
      (select count(*) from ${processingJobs}
       join ${soundsTable} on ${soundsTable.id} = ${processingJobs.soundId}
       where ${soundsTable.userId} = ${userId}) as pending_sounds`);
  const [row] = rowsOf<{ stored_bytes: number | string; pending_sounds: number | string }>(result);
  return {
    storedBytes: Number(row?.stored_bytes ?? 0),
    pendingSounds: Number(row?.pending_sounds ?? 0),
  };
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

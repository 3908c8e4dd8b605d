import type { FastifyBaseLogger } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import type { Database } from '../db/client.ts';
import { deleteSoundFiles } from './files.ts';
import { claimStaleSound, deleteSoundRow } from './repository.ts';

export interface ReaperDependencies {
  db: Database;
  fileStore: FileStore;
  log: FastifyBaseLogger;
  /** How long an `uploading` or `deleting` row must be idle before it counts as abandoned. */
  staleAfterMs: number;
}

/**
 * Finishes what a crash or an outage left half-done: an abandoned upload is undone and an
 * unfinished delete is completed, both by deleting its files and then the row. Rows are claimed
 * one at a time with a lease, so any number of API replicas can reap side by side.
 * Returns how many rows it removed; stops early (leaving the rest for the next run) when
 * file_store fails.
 */
export async function reapUnfinishedSounds(
  deps: ReaperDependencies,
  maxRows = 100,
): Promise<number> {
  let removed = 0;
  while (removed < maxRows) {
    const row = await claimStaleSound(deps.db, deps.staleAfterMs);
    if (!row) break;
    try {
      await deleteSoundFiles(deps.db, deps.fileStore, row);
    } catch (error) {
      deps.log.warn({ err: error, soundId: row.id }, 'reaper could not delete a file; will retry');
      break;
    }
    await deleteSoundRow(deps.db, row.id);
    deps.log.info({ soundId: row.id, status: row.status }, 'reaper removed an unfinished sound');
    removed += 1;
  }
  return removed;
}

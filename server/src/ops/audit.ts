import type { FileStore } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
import type { Database } from '../db/client.ts';
import { sounds } from '../db/schema.ts';

export interface SoundAudit {
  /** Rows looked at. */
  rows: number;
  /** `ready` sounds whose file file_store does not have: listed, but unplayable. */
  missingFiles: string[];
  /** `ready` sounds whose stored file has another size than the row records. */
  sizeMismatches: Array<{ id: string; recorded: number; stored: number }>;
  /** Rows still `uploading` or `deleting`: half-done work for the reaper (not an error by itself). */
  unfinished: Array<{ id: string; status: string; updatedAt: Date }>;
}

/**
 * Checks every sound row against file_store: each `ready` row must have its file, whole. Asks
 * file_store with HEAD, a few at a time, through the same client the API uses.
 */
export async function auditSounds(
  db: Database,
  fileStore: FileStore,
  concurrency = 8,
): Promise<SoundAudit> {
  const rows = await db.select().from(sounds);
  const audit: SoundAudit = {
    rows: rows.length,
    missingFiles: [],
    sizeMismatches: [],
    unfinished: [],
  };
  const ready = rows.filter((row) => row.status === 'ready');
  for (const row of rows) {
    if (row.status !== 'ready')
      audit.unfinished.push({ id: row.id, status: row.status, updatedAt: row.updatedAt });
  }

  let next = 0;
  async function worker() {
    while (next < ready.length) {
      const row = ready[next++];
      if (!row) break;
      const file = await fileStore.openSoundFile(row.storageKey, { method: 'HEAD', headers: {} });
      await discardBody(file.body);
      if (file.statusCode === 404) {
        audit.missingFiles.push(row.id);
      } else if (file.statusCode !== 200) {
        throw new Error(`file_store answered HEAD with ${file.statusCode}`);
      } else if (Number(file.headers['content-length']) !== row.size) {
        audit.sizeMismatches.push({
          id: row.id,
          recorded: row.size,
          stored: Number(file.headers['content-length']),
        });
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return audit;
}

/** True when no listed sound lacks its file or has a damaged one. */
export function isConsistent(audit: SoundAudit): boolean {
  return audit.missingFiles.length === 0 && audit.sizeMismatches.length === 0;
}

import type { FileStore } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
import type { Database } from '../db/client.ts';
import { processingJobs, type SoundRow, soundColumns, soundsTable } from '../db/schema.ts';

export interface SoundAudit {
  /** Rows looked at. */
  rows: number;
  /** `ready` sounds whose original file_store does not have: listed, but unplayable. */
  missingFiles: string[];
  /** `ready` sounds whose stored original has another size than the row records. */
  sizeMismatches: Array<{ id: string; recorded: number; stored: number }>;
  /** Processed sounds whose rendition or waveform file_store does not have. */
  missingDerivatives: Array<{ id: string; file: 'stream' | 'waveform' }>;
  /** Rows still `uploading` or `deleting`: half-done work for the reaper (not an error by itself). */
  unfinished: Array<{ id: string; status: string; updatedAt: Date }>;
  /** Sounds whose processing job is still to run (not an error by itself). */
  pendingProcessing: string[];
  /** Every key in file_store a row or a job accounts for (to find files nobody owns). */
  ownedKeys: Set<string>;
}

/**
 * Checks every sound row against file_store: each `ready` row must have its original, whole,
 * and a processed one its rendition and waveform. Asks file_store with HEAD, a few at a time,
 * through the same client the API uses.
 */
export async function auditSounds(
  db: Database,
  fileStore: FileStore,
  concurrency = 8,
): Promise<SoundAudit> {
  const rows = await db.select(soundColumns).from(soundsTable);
  const jobs = await db.select().from(processingJobs);
  const audit: SoundAudit = {
    rows: rows.length,
    missingFiles: [],
    sizeMismatches: [],
    missingDerivatives: [],
    unfinished: [],
    pendingProcessing: [],
    ownedKeys: new Set(),
  };
  for (const row of rows) {
    for (const key of [row.storageKey, row.streamKey, row.waveformKey]) {
      if (key) audit.ownedKeys.add(key);
    }
    if (row.status !== 'ready') {
      audit.unfinished.push({ id: row.id, status: row.status, updatedAt: row.updatedAt });
    } else if (row.processing === 'pending') {
      audit.pendingProcessing.push(row.id);
    }
  }
  for (const job of jobs) {
    for (const key of [job.streamKey, job.waveformKey]) if (key) audit.ownedKeys.add(key);
  }

  const ready = rows.filter((row) => row.status === 'ready');
  let next = 0;
  async function worker() {
    while (next < ready.length) {
      const row = ready[next++];
      if (row) await checkFiles(fileStore, row, audit);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return audit;
}

async function checkFiles(fileStore: FileStore, row: SoundRow, audit: SoundAudit): Promise<void> {
  const original = await storedSize(fileStore, row.storageKey);
  if (original === undefined) audit.missingFiles.push(row.id);
  else if (original !== row.size) {
    audit.sizeMismatches.push({ id: row.id, recorded: row.size, stored: original });
  }
  if (row.processing !== 'ready') return;
  if (!row.streamKey || (await storedSize(fileStore, row.streamKey)) === undefined) {
    audit.missingDerivatives.push({ id: row.id, file: 'stream' });
  }
  if (!row.waveformKey || (await storedSize(fileStore, row.waveformKey)) === undefined) {
    audit.missingDerivatives.push({ id: row.id, file: 'waveform' });
  }
}

/** The size file_store reports for `key`, or undefined when it has no such file. */
async function storedSize(fileStore: FileStore, key: string): Promise<number | undefined> {
  const file = await fileStore.openSoundFile(key, { method: 'HEAD', headers: {} });
  await discardBody(file.body);
  if (file.statusCode === 404) return undefined;
  if (file.statusCode !== 200) throw new Error(`file_store answered HEAD with ${file.statusCode}`);
  return Number(file.headers['content-length']);
}

/** True when no listed sound lacks a file it should have, or has a damaged one. */
export function isConsistent(audit: SoundAudit): boolean {
  return (
    audit.missingFiles.length === 0 &&
    audit.sizeMismatches.length === 0 &&
    audit.missingDerivatives.length === 0
  );
}

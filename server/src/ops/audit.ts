import { type FileStore, type StoredFileEntry, storedFileName } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
import type { Database } from '../db/client.ts';
import { inArray, or } from '../db/orm.ts';
import {
  processingJobs,
  resumableUploadParts,
  type SoundRow,
  soundColumns,
  soundsTable,
} from '../db/schema.ts';

/** A file in file_store that no sound row and no processing job names. */
export interface OrphanFile {
  /** file_store's name for it (the SHA-256 of its key). */
  name: string;
  /** Its key; null when file_store kept none (a file stored before it recorded keys). */
  key: string | null;
}

/** A sound being deleted whose files file_store still holds. */
export interface DeletedSoundFiles {
  id: string;
  /** When its delete began (the row's last progress). */
  since: Date;
  /** How many of its files (original, rendition, waveform, its job's) are still stored. */
  files: number;
  /** The reaper should have removed them by now: stale for longer than the reaper allows. */
  overdue: boolean;
}

export interface SoundAudit {
  /** Rows looked at. */
  rows: number;
  /** Files file_store listed. */
  storedFiles: number;
  /** `ready` sounds whose original file_store does not have: listed, but unplayable. */
  missingFiles: string[];
  /** `ready` sounds whose stored original has another size than the row records. */
  sizeMismatches: Array<{ id: string; recorded: number; stored: number }>;
  /** Processed sounds whose rendition or waveform file_store does not have. */
  missingDerivatives: Array<{ id: string; file: 'stream' | 'waveform' }>;
  /**
   * Files no row or job names: left by a crash, by a deleted sound (its derivatives have keys
   * of their own, which nothing names once its row is gone), or stored behind the API's back.
   */
  orphans: OrphanFile[];
  /** Sounds being deleted (`deleting`) whose files are still stored. */
  deletedSoundFiles: DeletedSoundFiles[];
  /** Rows still `uploading` or `deleting`: half-done work for the reaper (not an error by itself). */
  unfinished: Array<{ id: string; status: string; updatedAt: Date }>;
  /** Sounds whose processing job is still to run (not an error by itself). */
  pendingProcessing: string[];
  /** Every key in file_store a row or a job accounts for. */
  ownedKeys: Set<string>;
}

export interface AuditOptions {
  /**
   * A `deleting` row idle longer than this should have been finished by the reaper
   * (REAPER_STALE_AFTER_MS + REAPER_INTERVAL_MS): its files still stored are an error.
   */
  overdueAfterMs: number;
  /** HEAD requests to file_store at once. */
  concurrency?: number;
}

/**
 * Checks every sound row against file_store, and file_store against the rows: each `ready` row
 * must have its original, whole, and a processed one its rendition and waveform (asked with
 * HEAD, a few at a time, through the same client the API uses); each stored file must be named
 * by a row, a job or a resumable upload's part (file_store's listing, read as it streams, against every key the database
 * names). A file is listed only after its row or job named it (uploads insert the row first,
 * jobs record their keys before writing), so a file that looks unowned is asked about again
 * once the listing has ended: a row inserted meanwhile still claims it.
 */
export async function auditSounds(
  db: Database,
  fileStore: FileStore,
  options: AuditOptions,
): Promise<SoundAudit> {
  const { overdueAfterMs, concurrency = 8 } = options;
  const rows = await db.select(soundColumns).from(soundsTable);
  const jobs = await db.select().from(processingJobs);
  const audit: SoundAudit = {
    rows: rows.length,
    storedFiles: 0,
    missingFiles: [],
    sizeMismatches: [],
    missingDerivatives: [],
    orphans: [],
    deletedSoundFiles: [],
    unfinished: [],
    pendingProcessing: [],
    ownedKeys: new Set(),
  };
  /** Every key a row or job names, and the sound it belongs to. */
  const owners = new Map<string, SoundRow | undefined>();
  const rowsById = new Map(rows.map((row) => [row.id, row]));
  const own = (key: string | null, row: SoundRow | undefined) => {
    if (!key) return;
    audit.ownedKeys.add(key);
    owners.set(key, row);
  };
  for (const row of rows) {
    for (const key of [row.storageKey, row.streamKey, row.waveformKey]) own(key, row);
    if (row.status !== 'ready') {
      audit.unfinished.push({ id: row.id, status: row.status, updatedAt: row.updatedAt });
    } else if (row.processing === 'pending') {
      audit.pendingProcessing.push(row.id);
    }
  }
  for (const job of jobs) {
    const row = rowsById.get(job.soundId);
    for (const key of [job.streamKey, job.waveformKey]) own(key, row);
  }
  // The parts of resumable uploads: named before they are written, like everything else.
  for (const part of await db
    .select({ key: resumableUploadParts.key })
    .from(resumableUploadParts)) {
    own(part.key, undefined);
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

  // A file file_store kept no key for is known by its stored name: the keys' names are
  // computed only if the listing has such a file.
  let ownerNames: Map<string, string> | undefined;
  const ownerKey = (file: StoredFileEntry): string | undefined => {
    if (file.key !== null) return owners.has(file.key) ? file.key : undefined;
    ownerNames ??= new Map([...owners.keys()].map((key) => [storedFileName(key), key]));
    return ownerNames.get(file.name);
  };
  const unowned: StoredFileEntry[] = [];
  const storedOfDeleted = new Map<string, number>();
  for await (const file of fileStore.listStoredFiles()) {
    audit.storedFiles += 1;
    const key = ownerKey(file);
    const owner = key === undefined ? undefined : owners.get(key);
    if (key === undefined) unowned.push(file);
    else if (owner?.status === 'deleting') {
      storedOfDeleted.set(owner.id, (storedOfDeleted.get(owner.id) ?? 0) + 1);
    }
  }
  const claimedSince = await keysNamedByDatabase(
    db,
    unowned.flatMap((file) => (file.key ? [file.key] : [])),
  );
  audit.orphans = unowned
    .filter((file) => !(file.key && claimedSince.has(file.key)))
    .map((file) => ({ name: file.name, key: file.key }));

  const overdueBefore = Date.now() - overdueAfterMs;
  for (const [id, files] of storedOfDeleted) {
    const row = rowsById.get(id);
    if (!row) continue;
    const since = row.updatedAt;
    audit.deletedSoundFiles.push({ id, since, files, overdue: since.getTime() < overdueBefore });
  }
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BATCH = 500;

/** Those of `keys` that a sound row or a processing job names, asked of the database now. */
async function keysNamedByDatabase(db: Database, keys: string[]): Promise<Set<string>> {
  // Every key the API writes is a UUID as randomUUID() spells it, which is how the uuid
  // columns give it back: another string (another spelling included) is another file.
  const candidates = [...new Set(keys.filter((key) => UUID.test(key)))];
  const named = new Set<string>();
  for (let start = 0; start < candidates.length; start += BATCH) {
    const batch = candidates.slice(start, start + BATCH);
    const sounds = await db
      .select({
        storageKey: soundsTable.storageKey,
        streamKey: soundsTable.streamKey,
        waveformKey: soundsTable.waveformKey,
      })
      .from(soundsTable)
      .where(
        or(
          inArray(soundsTable.storageKey, batch),
          inArray(soundsTable.streamKey, batch),
          inArray(soundsTable.waveformKey, batch),
        ),
      );
    const jobs = await db
      .select({ streamKey: processingJobs.streamKey, waveformKey: processingJobs.waveformKey })
      .from(processingJobs)
      .where(
        or(inArray(processingJobs.streamKey, batch), inArray(processingJobs.waveformKey, batch)),
      );
    const parts = await db
      .select({ key: resumableUploadParts.key })
      .from(resumableUploadParts)
      .where(inArray(resumableUploadParts.key, batch));
    for (const row of [...sounds, ...jobs, ...parts]) {
      for (const key of Object.values(row)) if (key) named.add(key);
    }
  }
  return new Set(keys.filter((key) => named.has(key)));
}

export interface OrphanRemoval {
  /** Keys deleted from file_store. */
  removed: string[];
  /** Keys a row or a job named by the time of the delete: kept. */
  claimed: string[];
  /** Files file_store knows by name only: no request can name them, so they stay. */
  unnamed: OrphanFile[];
}

/**
 * `--fix`: deletes the orphans the audit found from file_store. Each key is asked about once
 * more right before its delete, and kept if a row or a job names it by then; keys are fresh
 * UUIDs, so nothing comes to name a file after that. A file whose key file_store does not know
 * cannot be deleted through it (its three routes take keys), and is left for the operator.
 */
export async function removeOrphans(
  db: Database,
  fileStore: FileStore,
  orphans: OrphanFile[],
): Promise<OrphanRemoval> {
  const result: OrphanRemoval = { removed: [], claimed: [], unnamed: [] };
  for (const orphan of orphans) {
    if (orphan.key === null) {
      result.unnamed.push(orphan);
      continue;
    }
    if ((await keysNamedByDatabase(db, [orphan.key])).size > 0) {
      result.claimed.push(orphan.key);
      continue;
    }
    await fileStore.deleteSoundFile(orphan.key);
    result.removed.push(orphan.key);
  }
  return result;
}

/**
 * True when nothing is wrong: no listed sound lacks a file it should have or has a damaged
 * one, no stored file is unowned, and no deleted sound's files outlived the reaper's time.
 */
export function isConsistent(audit: SoundAudit): boolean {
  return (
    audit.missingFiles.length === 0 &&
    audit.sizeMismatches.length === 0 &&
    audit.missingDerivatives.length === 0 &&
    audit.orphans.length === 0 &&
    audit.deletedSoundFiles.every((sound) => !sound.overdue)
  );
}

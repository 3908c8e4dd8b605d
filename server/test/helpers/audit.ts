import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileNameForId } from '@cloud-sound/file-store/storage';
import { expect } from 'vitest';
import { createFileStore, fileStoreLimits } from '../../src/backends/file-store.ts';
import { backendTimeouts } from '../../src/backends/http.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.ts';
import { type SoundStatus, soundsTable } from '../../src/db/schema.ts';
import { auditSounds } from '../../src/ops/audit.ts';
import { storedFileNames } from './file-store-temp.ts';
import type { TestSystem } from './system.ts';

/** What the audit needs: the API's database and file_store (its URL and its data folder). */
export interface AuditTarget {
  db: Database;
  fileStore: { url: string; dataDir: string };
}

/**
 * The consistency goal (docs/architecture.md), checked from the outside: no listed sound
 * without its files (its original, and once processed its rendition and waveform), no stored
 * file that no row or job accounts for. Each list names the offenders, so a failing test says
 * what went wrong.
 */
export interface ConsistencyReport {
  rows: number;
  storedFiles: number;
  /** `ready` rows whose file file_store does not have. */
  rowsWithoutFile: string[];
  /** `ready` rows whose stored file has another size than the row records. */
  sizeMismatches: Array<{ id: string; recorded: number; stored: number }>;
  /** Processed rows whose rendition or waveform file_store does not have. */
  missingDerivatives: Array<{ id: string; file: 'stream' | 'waveform' }>;
  /** Files in file_store's data folder that belong to no row or job (by their hashed names). */
  filesWithoutRow: string[];
  /** The same as the audit finds them, through file_store's listing (GET /files/). */
  orphans: Array<{ name: string; key: string | null }>;
  /** Rows still `uploading` or `deleting`: half-done work the reaper has yet to finish. */
  unfinishedRows: Array<{ id: string; status: SoundStatus }>;
  /** Partial uploads file_store is still holding in its temp folder. */
  tempFiles: string[];
}

export async function auditConsistency(
  target: TestSystem | AuditTarget,
): Promise<ConsistencyReport> {
  const { db, fileStore } = 'api' in target ? { ...target, db: target.api.db } : target;
  const rows = await db.select().from(soundsTable);
  const stored = await storedFileNames(fileStore.dataDir);
  const tempFiles = await readdir(join(fileStore.dataDir, 'tmp')).catch(() => [] as string[]);

  // Asked over HTTP, as the API would: the file must be there and whole.
  const defaults = loadConfig({});
  const client = createFileStore(
    fileStore.url,
    backendTimeouts(defaults),
    fileStoreLimits(defaults),
  );
  const files = await auditSounds(db, client, {
    overdueAfterMs: defaults.REAPER_STALE_AFTER_MS + defaults.REAPER_INTERVAL_MS,
  }).finally(() => client.close());
  const ownedNames = new Set([...files.ownedKeys].map(fileNameForId));
  return {
    rows: rows.length,
    storedFiles: stored.length,
    rowsWithoutFile: files.missingFiles,
    sizeMismatches: files.sizeMismatches,
    missingDerivatives: files.missingDerivatives,
    filesWithoutRow: stored.filter((name) => !ownedNames.has(name)),
    orphans: files.orphans,
    unfinishedRows: rows
      .filter((row) => row.status !== 'ready')
      .map((row) => ({ id: row.id, status: row.status })),
    tempFiles,
  };
}

/**
 * Asserts a clean audit: every row `ready` with its whole files, every file with its row or
 * job, nothing half-done, no partial upload left behind. Run it once processing has settled:
 * a job writing meanwhile owns files the audit may read before it records them.
 */
export async function expectConsistent(target: TestSystem | AuditTarget): Promise<void> {
  const report = await auditConsistency(target);
  const { rows, storedFiles, ...problems } = report;
  expect(problems).toEqual({
    rowsWithoutFile: [],
    sizeMismatches: [],
    missingDerivatives: [],
    filesWithoutRow: [],
    orphans: [],
    unfinishedRows: [],
    tempFiles: [],
  });
  // Each row has at least its original.
  expect(storedFiles).toBeGreaterThanOrEqual(rows);
}

/** Opens the database a (stopped) child API used, for auditing it from the test. */
export function openApiDatabase(options: {
  databaseUrl: string | undefined;
  apiDataDir: string;
}): Promise<DatabaseHandle> {
  return openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.apiDataDir });
}

/** Stores bytes in file_store directly under `key`, as the API's upload does. */
export async function storeFileDirectly(
  fileStoreUrl: string,
  key: string,
  bytes: Uint8Array,
): Promise<void> {
  const form = new FormData();
  form.append(key, new Blob([bytes]), key);
  const response = await fetch(`${fileStoreUrl}/files/`, { method: 'POST', body: form });
  if (response.status !== 201) throw new Error(`file_store answered ${response.status}`);
}

/** Whether file_store has a file under `key`. */
export async function fileStoreHas(fileStoreUrl: string, key: string): Promise<boolean> {
  const response = await fetch(`${fileStoreUrl}/files/${encodeURIComponent(key)}`, {
    method: 'HEAD',
  });
  if (response.status !== 200 && response.status !== 404) {
    throw new Error(`file_store answered HEAD with ${response.status}`);
  }
  return response.status === 200;
}

/**
 * Leaves the database as an API process stopped between two steps would: a row in `status`,
 * last touched `ageMs` ago, optionally with its file already in file_store.
 */
export async function insertUnfinishedSound(
  target: AuditTarget,
  options: { userId: number; status: SoundStatus; ageMs: number; file?: Uint8Array },
): Promise<{ id: string; storageKey: string }> {
  const id = randomUUID();
  const storageKey = randomUUID();
  if (options.file) await storeFileDirectly(target.fileStore.url, storageKey, options.file);
  await target.db.insert(soundsTable).values({
    id,
    storageKey,
    userId: options.userId,
    title: 'half-done',
    filename: 'half-done.wav',
    contentType: 'audio/wav',
    size: options.file?.length ?? 0,
    status: options.status,
    updatedAt: new Date(Date.now() - options.ageMs),
  });
  return { id, storageKey };
}

// The consistency audit, for operators: `pnpm --filter @cloud-sound/server audit:sounds [--fix]`.
// Reads the same settings as the API (DATABASE_URL or the embedded database in DATA_DIR, and
// FILE_STORE_URL) and compares the sounds with file_store both ways: every listed sound has its
// whole file (and, once processed, its rendition and waveform), every stored file belongs to a
// sound or a processing job, and a deleted sound's files do not outlive the reaper's time. It
// prints what it found and exits 1 when anything is wrong (also when --fix repaired it: run it
// again to see a clean audit). `--fix` deletes the orphans, never a file a row or a job names.
// Stop the API first when it runs on the embedded PGlite database (one process at a time);
// with Postgres it can run beside live servers.
import { parseArgs } from 'node:util';
import { createFileStore, fileStoreLimits } from '../src/backends/file-store.ts';
import { backendTimeouts } from '../src/backends/http.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { auditSounds, isConsistent, type OrphanFile, removeOrphans } from '../src/ops/audit.ts';

const { values: flags } = parseArgs({ options: { fix: { type: 'boolean', default: false } } });

const config = loadConfig();
const database = await openDatabase({
  databaseUrl: config.DATABASE_URL,
  dataDir: config.DATA_DIR,
  timeoutMs: config.DATABASE_TIMEOUT_MS,
});
const fileStore = createFileStore(
  config.FILE_STORE_URL,
  backendTimeouts(config),
  fileStoreLimits(config),
);
const described = (orphan: OrphanFile) =>
  orphan.key === null
    ? `stored as files/${orphan.name} (file_store kept no key for it)`
    : JSON.stringify(orphan.key);
try {
  const audit = await auditSounds(database.db, fileStore, {
    overdueAfterMs: config.REAPER_STALE_AFTER_MS + config.REAPER_INTERVAL_MS,
  });
  console.log(
    `sounds audited: ${audit.rows} rows (${database.driver}), ${audit.storedFiles} files in file_store ${config.FILE_STORE_URL}`,
  );
  for (const id of audit.missingFiles) console.log(`MISSING FILE   sound ${id}`);
  for (const { id, recorded, stored } of audit.sizeMismatches) {
    console.log(`SIZE MISMATCH  sound ${id}: row says ${recorded} bytes, file_store has ${stored}`);
  }
  for (const { id, file } of audit.missingDerivatives) {
    console.log(`MISSING ${file.toUpperCase().padEnd(8)} sound ${id}`);
  }
  for (const orphan of audit.orphans) {
    console.log(`ORPHAN         file ${described(orphan)}: no sound or processing job names it`);
  }
  for (const { id, since, files, overdue } of audit.deletedSoundFiles) {
    console.log(
      overdue
        ? `LEFT BEHIND    sound ${id}: deleted since ${since.toISOString()}, ${files} of its files still stored; the reaper should have removed them`
        : `deleting       sound ${id}: since ${since.toISOString()}, ${files} of its files still stored (the reaper's job)`,
    );
  }
  for (const { id, status, updatedAt } of audit.unfinished) {
    if (status === 'deleting') continue;
    console.log(
      `unfinished     sound ${id}: ${status} since ${updatedAt.toISOString()} (the reaper's job)`,
    );
  }
  if (audit.pendingProcessing.length > 0) {
    console.log(`pending        ${audit.pendingProcessing.length} sounds still to be processed`);
  }
  const consistent = isConsistent(audit);
  console.log(consistent ? 'consistent' : 'INCONSISTENT');

  if (flags.fix && audit.orphans.length > 0) {
    const fixed = await removeOrphans(database.db, fileStore, audit.orphans);
    for (const key of fixed.removed) console.log(`removed        orphan ${JSON.stringify(key)}`);
    for (const key of fixed.claimed) {
      console.log(`kept           ${JSON.stringify(key)}: a sound or job names it now`);
    }
    for (const orphan of fixed.unnamed) {
      console.log(
        `kept           ${described(orphan)}: file_store cannot delete a file whose key it does not know; remove that file from its DATA_DIR by hand`,
      );
    }
    console.log(`fixed: ${fixed.removed.length} of ${audit.orphans.length} orphans removed`);
  }
  process.exitCode = consistent ? 0 : 1;
} finally {
  await fileStore.close();
  await database.close();
}

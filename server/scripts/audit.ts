// The consistency audit, for operators: `pnpm --filter @cloud-sound/server audit:sounds`.
// Reads the same settings as the API (DATABASE_URL or the embedded database in DATA_DIR, and
// FILE_STORE_URL), checks that every listed sound has its whole file in file_store (and, once
// processed, its rendition and waveform), prints what
// it found, and exits 1 on any mismatch. Stop the API first when it runs on the embedded PGlite
// database (one process at a time); with Postgres it can run beside live servers.
import { createFileStore, fileStoreLimits } from '../src/backends/file-store.ts';
import { backendTimeouts } from '../src/backends/http.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { auditSounds, isConsistent } from '../src/ops/audit.ts';

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
try {
  const audit = await auditSounds(database.db, fileStore);
  console.log(
    `sounds audited: ${audit.rows} rows (${database.driver}), file_store ${config.FILE_STORE_URL}`,
  );
  for (const id of audit.missingFiles) console.log(`MISSING FILE   sound ${id}`);
  for (const { id, recorded, stored } of audit.sizeMismatches) {
    console.log(`SIZE MISMATCH  sound ${id}: row says ${recorded} bytes, file_store has ${stored}`);
  }
  for (const { id, file } of audit.missingDerivatives) {
    console.log(`MISSING ${file.toUpperCase().padEnd(8)} sound ${id}`);
  }
  for (const { id, status, updatedAt } of audit.unfinished) {
    console.log(
      `unfinished     sound ${id}: ${status} since ${updatedAt.toISOString()} (the reaper's job)`,
    );
  }
  if (audit.pendingProcessing.length > 0) {
    console.log(`pending        ${audit.pendingProcessing.length} sounds still to be processed`);
  }
  console.log(isConsistent(audit) ? 'consistent' : 'INCONSISTENT');
  process.exitCode = isConsistent(audit) ? 0 : 1;
} finally {
  await fileStore.close();
  await database.close();
}

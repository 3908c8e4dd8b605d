import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedFileName } from '../src/backends/file-store.ts';
import type { Database } from '../src/db/client.ts';
import { eq } from '../src/db/orm.ts';
import { processingJobs, soundsTable } from '../src/db/schema.ts';
import { wavTone } from './helpers/audio.ts';
import {
  fileStoreHas,
  insertUnfinishedSound,
  openApiDatabase,
  storeFileDirectly,
} from './helpers/audit.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

const run = promisify(execFile);
const SCRIPT = new URL('../scripts/audit.ts', import.meta.url).pathname;
/** The audit's patience with a `deleting` row: REAPER_STALE_AFTER_MS + REAPER_INTERVAL_MS. */
const REAPER_STALE_AFTER_MS = 60_000;
const REAPER_INTERVAL_MS = 60_000;

let system: TestSystem;
let userId: number;
/** Sounds uploaded through the API before it stepped aside. */
const sounds: Array<{ id: string; storageKey: string }> = [];

beforeAll(async () => {
  system = await startSystem({
    REAPER_STALE_AFTER_MS: String(REAPER_STALE_AFTER_MS),
    REAPER_INTERVAL_MS: String(REAPER_INTERVAL_MS),
  });
  userId = await system.createUser();
  for (let index = 0; index < 3; index += 1) {
    const { id } = await json<{ id: string }>(
      await uploadSound(system.url, { userId, bytes: wavTone() }),
    );
    const [row] = await system.api.db.select().from(soundsTable).where(eq(soundsTable.id, id));
    if (!row) throw new Error('the upload left no row');
    sounds.push({ id, storageKey: row.storageKey });
  }
  // The embedded database admits one process at a time: the API steps aside for the audit,
  // and the test opens the database only between two runs of it.
  await system.api.close();
}, 60_000);
afterAll(() => system?.close());

async function withDatabase<T>(use: (db: Database) => Promise<T>): Promise<T> {
  const { DATABASE_URL, DATA_DIR } = system.api.config;
  const handle = await openApiDatabase({ databaseUrl: DATABASE_URL, apiDataDir: DATA_DIR });
  try {
    return await use(handle.db);
  } finally {
    await handle.close();
  }
}

async function audit(...args: string[]): Promise<{ code: number; stdout: string }> {
  const { DATABASE_URL, DATA_DIR, FILE_STORE_URL } = system.api.config;
  const env = {
    ...process.env,
    DATA_DIR,
    FILE_STORE_URL,
    REAPER_STALE_AFTER_MS: String(REAPER_STALE_AFTER_MS),
    REAPER_INTERVAL_MS: String(REAPER_INTERVAL_MS),
    ...(DATABASE_URL ? { DATABASE_URL } : {}),
  };
  try {
    const { stdout } = await run(process.execPath, [SCRIPT, ...args], { env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout + failed.stderr };
  }
}

const fileStoreUrl = () => system.fileStore.url;

async function deleteStored(key: string): Promise<void> {
  const response = await fetch(`${fileStoreUrl()}/files/${encodeURIComponent(key)}`, {
    method: 'DELETE',
  });
  expect(response.status).toBe(204);
}

// In order: each test leaves the system as the next expects it.
describe('the operator audit', () => {
  it('passes a consistent system', async () => {
    const clean = await audit();
    expect(clean.stdout).toContain('3 rows');
    expect(clean.stdout).toContain('3 files in file_store');
    expect(clean.stdout).toMatch(/\nconsistent\n/);
    expect(clean.code).toBe(0);
  });

  it('finds the files no sound owns, and --fix removes those and nothing a row or job names', async () => {
    const jobKey = randomUUID();
    const leftover = randomUUID();
    const { inFlight, beingDeleted } = await withDatabase(async (db) => {
      const files = { db, fileStore: system.fileStore };
      // Owned, though no ready sound has them: an upload in flight (its row `uploading`), a
      // rendition a processing job is writing, the files of a sound being deleted.
      const inFlight = await insertUnfinishedSound(files, {
        userId,
        status: 'uploading',
        ageMs: 0,
        file: wavTone(),
      });
      await storeFileDirectly(fileStoreUrl(), jobKey, new Uint8Array([1, 2, 3]));
      await db
        .update(processingJobs)
        .set({ streamKey: jobKey })
        .where(eq(processingJobs.soundId, sounds[0]?.id ?? ''));
      const beingDeleted = await insertUnfinishedSound(files, {
        userId,
        status: 'deleting',
        ageMs: 0,
        file: wavTone(),
      });
      return { inFlight, beingDeleted };
    });
    // Orphans: a derivative whose sound is gone (a fresh UUID nothing names), and a file
    // stored in file_store behind the API's back under a key no row could have.
    await storeFileDirectly(fileStoreUrl(), leftover, new Uint8Array([4, 5, 6]));
    await storeFileDirectly(fileStoreUrl(), 'not a key of ours', new Uint8Array([7]));

    const found = await audit();
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(`ORPHAN         file "${leftover}"`);
    expect(found.stdout).toContain('ORPHAN         file "not a key of ours"');
    expect(found.stdout.match(/ORPHAN/g)).toHaveLength(2);
    expect(found.stdout).toContain(`deleting       sound ${beingDeleted.id}`);
    expect(found.stdout).toContain(`unfinished     sound ${inFlight.id}: uploading`);
    expect(found.stdout).toContain('INCONSISTENT');

    const fixed = await audit('--fix');
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toContain(`removed        orphan "${leftover}"`);
    expect(fixed.stdout).toContain('fixed: 2 of 2 orphans removed');
    expect(await fileStoreHas(fileStoreUrl(), leftover)).toBe(false);
    expect(await fileStoreHas(fileStoreUrl(), 'not a key of ours')).toBe(false);
    const owned = [inFlight.storageKey, jobKey, beingDeleted.storageKey];
    for (const key of [...owned, ...sounds.map((sound) => sound.storageKey)]) {
      expect(await fileStoreHas(fileStoreUrl(), key), key).toBe(true);
    }

    // Half-done work within the reaper's time is no error.
    const again = await audit();
    expect(again.stdout).not.toContain('ORPHAN');
    expect(again.stdout).toMatch(/\nconsistent\n/);
    expect(again.code).toBe(0);

    // Back to the three sounds, for the next test.
    await withDatabase(async (db) => {
      await db.delete(soundsTable).where(eq(soundsTable.id, inFlight.id));
      await db.delete(soundsTable).where(eq(soundsTable.id, beingDeleted.id));
      await db
        .update(processingJobs)
        .set({ streamKey: null })
        .where(eq(processingJobs.soundId, sounds[0]?.id ?? ''));
    });
    for (const key of owned) await deleteStored(key);
  }, 120_000);

  it('reports the files of a deleted sound the reaper should have removed by now', async () => {
    const overdue = await withDatabase((db) =>
      insertUnfinishedSound(
        { db, fileStore: system.fileStore },
        {
          userId,
          status: 'deleting',
          ageMs: REAPER_STALE_AFTER_MS + REAPER_INTERVAL_MS + 60_000,
          file: wavTone(),
        },
      ),
    );
    const found = await audit('--fix');
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(`LEFT BEHIND    sound ${overdue.id}: deleted since`);
    expect(found.stdout).toContain('1 of its files still stored');
    expect(found.stdout).not.toContain('ORPHAN');
    // Still named by its row: --fix leaves it to the reaper.
    expect(await fileStoreHas(fileStoreUrl(), overdue.storageKey)).toBe(true);

    await withDatabase((db) => db.delete(soundsTable).where(eq(soundsTable.id, overdue.id)));
    await deleteStored(overdue.storageKey);
  });

  it('names a file file_store kept no key for, and leaves it to the operator', async () => {
    // What a file_store from before the listing left: the file under its hashed name alone.
    const name = storedFileName(randomUUID());
    await writeFile(join(system.fileStore.dataDir, 'files', name), 'stored long ago');

    const fixed = await audit('--fix');
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toContain(`ORPHAN         file stored as files/${name}`);
    expect(fixed.stdout).toContain('fixed: 0 of 1 orphans removed');
    expect(fixed.stdout).toContain('remove that file from its DATA_DIR by hand');
    await rm(join(system.fileStore.dataDir, 'files', name));
  });

  it('names each sound whose original is gone', async () => {
    const [lost, kept] = sounds;
    await fetch(`${fileStoreUrl()}/files/${lost?.storageKey}`, { method: 'DELETE' });
    const broken = await audit();
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`MISSING FILE   sound ${lost?.id}`);
    expect(broken.stdout).not.toContain(kept?.id);
    expect(broken.stdout).toContain('INCONSISTENT');
  });
});

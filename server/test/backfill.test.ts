import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MIGRATIONS_DIR, openDatabase } from '../src/db/client.ts';
import { sql } from '../src/db/orm.ts';
import { expectConsistent, storeFileDirectly } from './helpers/audit.ts';
import { json } from './helpers/http.ts';
import { ffmpegAudio } from './helpers/media-files.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';
import { waitUntil } from './helpers/wait.ts';

/**
 * Issue 12, backfill: a sound uploaded before processing existed (the database at its first
 * migration) is processed after the upgrade with no manual step: the migration gives it its
 * job and its search text, and the upgraded API does the rest.
 */

let system: TestSystem;
let soundId: string;
const scratch = await mkdtemp(join(tmpdir(), 'cloud-sound-backfill-'));
afterAll(async () => {
  await system?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** The migrations folder as it was before processing: the first migration alone. */
async function firstMigrationOnly(): Promise<string> {
  const dir = join(scratch, 'drizzle');
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  const journalPath = join(dir, 'meta/_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, 1);
  await writeFile(journalPath, JSON.stringify(journal));
  return dir;
}

beforeAll(async () => {
  const wav = ffmpegAudio({ format: 'wav', codec: 'pcm_s16le', seconds: 2 });
  system = await startSystem(
    { PROCESSING_CONCURRENCY: '1', PROCESSING_POLL_MS: '100' },
    {
      async interpose({ databaseUrl, fileStoreUrl }) {
        // The old API's database and files, as it left them.
        const dataDir = join(scratch, 'api');
        const old = await openDatabase({
          databaseUrl,
          dataDir,
          migrationsDir: await firstMigrationOnly(),
        });
        soundId = randomUUID();
        const storageKey = randomUUID();
        await storeFileDirectly(fileStoreUrl, storageKey, wav);
        await old.db.execute(sql`
          insert into sounds (id, user_id, title, filename, content_type, size, duration_ms,
                              storage_key, status)
          values (${soundId}, 7, 'Café recording', 'old.wav', 'audio/wav', ${wav.length}, 2000,
                  ${storageKey}, 'ready')`);
        await old.close();
        return { DATA_DIR: dataDir };
      },
    },
  );
});

it('processes a sound uploaded before the upgrade, and finds it by search', async () => {
  let sound: { processing: string; streamUrl: string | null } | undefined;
  await waitUntil(
    'the old sound to be processed',
    async () => {
      sound = await json(await fetch(`${system.url}/sounds/${soundId}`));
      return sound?.processing !== 'pending';
    },
    30_000,
  );
  expect(sound?.processing).toBe('ready');
  expect((await fetch(`${system.url}/sounds/${soundId}/stream`)).status).toBe(200);

  const found = await json<{ items: Array<{ id: string }> }>(
    await fetch(`${system.url}/sounds?q=cafe`),
  );
  expect(found.items.map((item) => item.id)).toEqual([soundId]);
  await expectConsistent(system);
});

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/client.ts';
import { eq } from '../src/db/orm.ts';
import { soundsTable } from '../src/db/schema.ts';
import { createTestDatabase } from './helpers/database.ts';

/**
 * The database's notices of changed sounds (drizzle/0005_sound_change_notices.sql), which make
 * every API replica forget its cached reads: one per statement that touches a listed (`ready`)
 * row, sent on commit, and none for what the listing never shows (uploads in progress, their
 * heartbeats, the removal of rows already being deleted).
 */

let handle: DatabaseHandle;
let dataDir: string;
let drop: () => Promise<void>;
const notices: string[] = [];

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = () => database.drop();
  dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-notices-'));
  handle = await openDatabase({ databaseUrl: database.url, dataDir });
  await handle.listen('sound_changes', (payload) => notices.push(payload));
});
afterAll(async () => {
  await handle?.close();
  await drop?.();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  notices.length = 0;
});

/** The notices that arrive within a moment (they are asynchronous, even on PGlite). */
async function noticesNow(): Promise<string[]> {
  await sleep(150);
  return [...notices];
}

const row = (status: 'uploading' | 'ready' | 'deleting', title = 'a sound') => ({
  id: randomUUID(),
  storageKey: randomUUID(),
  userId: 42,
  title,
  filename: 'a.wav',
  contentType: 'audio/wav',
  status,
  size: 44,
});

it('an upload in progress and its heartbeats say nothing; its publication does', async () => {
  const uploading = row('uploading');
  await handle.db.insert(soundsTable).values(uploading);
  await handle.db
    .update(soundsTable)
    .set({ title: 'still uploading' })
    .where(eq(soundsTable.id, uploading.id));
  expect(await noticesNow()).toEqual([]);
  await handle.db
    .update(soundsTable)
    .set({ status: 'ready' })
    .where(eq(soundsTable.id, uploading.id));
  expect(await noticesNow()).toEqual(['UPDATE']);
});

it('one notice per statement, however many listed rows it writes', async () => {
  await handle.db.insert(soundsTable).values([row('ready'), row('ready'), row('ready')]);
  expect(await noticesNow()).toEqual(['INSERT']);
});

it('a rename and a delete of a listed sound each say so; removing a deleting row does not', async () => {
  const listed = row('ready');
  await handle.db.insert(soundsTable).values(listed);
  await noticesNow();
  notices.length = 0;
  await handle.db
    .update(soundsTable)
    .set({ title: 'renamed' })
    .where(eq(soundsTable.id, listed.id));
  // The delete flow: the row leaves the listing, then goes.
  await handle.db
    .update(soundsTable)
    .set({ status: 'deleting' })
    .where(eq(soundsTable.id, listed.id));
  await handle.db.delete(soundsTable).where(eq(soundsTable.id, listed.id));
  expect(await noticesNow()).toEqual(['UPDATE', 'UPDATE']);

  const other = row('ready');
  await handle.db.insert(soundsTable).values(other);
  await noticesNow();
  notices.length = 0;
  await handle.db.delete(soundsTable).where(eq(soundsTable.id, other.id));
  expect(await noticesNow()).toEqual(['DELETE']);
});

it('is sent when the transaction commits, and not at all when it rolls back', async () => {
  await handle.db
    .transaction(async (tx) => {
      await tx.insert(soundsTable).values(row('ready'));
      await sleep(100);
      expect(notices).toEqual([]);
      throw new Error('rolled back');
    })
    .catch(() => {});
  expect(await noticesNow()).toEqual([]);
  await handle.db.transaction(async (tx) => {
    await tx.insert(soundsTable).values(row('ready'));
  });
  expect(await noticesNow()).toEqual(['INSERT']);
});

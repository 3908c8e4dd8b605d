import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/client.ts';
import { asc, eq } from '../src/db/orm.ts';
import { soundEvents, soundsTable } from '../src/db/schema.ts';
import { SOUND_EVENTS_CHANNEL, type SoundEvent } from '../src/events/hub.ts';
import { createTestDatabase } from './helpers/database.ts';

/**
 * The database's sound events (drizzle/0006_sound_events.sql), which every API replica passes
 * on to browsers and forgets its cached reads by: one per listed sound changed, recorded in the
 * changing transaction and announced when it commits, and none for what the listing never
 * shows (uploads in progress, their heartbeats, the removal of rows already being deleted).
 */

let handle: DatabaseHandle;
let dataDir: string;
let drop: () => Promise<void>;
const notices: SoundEvent[] = [];

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = () => database.drop();
  dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-events-'));
  handle = await openDatabase({ databaseUrl: database.url, dataDir });
  await handle.listen(SOUND_EVENTS_CHANNEL, (payload) => notices.push(JSON.parse(payload)));
});
afterAll(async () => {
  await handle?.close();
  await drop?.();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  notices.length = 0;
});

/** The kinds announced within a moment (notices are asynchronous, even on PGlite). */
async function kindsNow(): Promise<string[]> {
  await sleep(150);
  return notices.map((notice) => notice.kind);
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
    .set({ title: 'still uploading', updatedAt: new Date() })
    .where(eq(soundsTable.id, uploading.id));
  expect(await kindsNow()).toEqual([]);
  await handle.db
    .update(soundsTable)
    .set({ status: 'ready' })
    .where(eq(soundsTable.id, uploading.id));
  expect(await kindsNow()).toEqual(['created']);
  expect(notices).toEqual([
    {
      id: expect.any(Number),
      kind: 'created',
      soundId: uploading.id,
      userId: 42,
      processing: 'pending',
    },
  ]);
});

it('one event per sound, recorded with the same id it is announced with', async () => {
  const rows = [row('ready'), row('ready'), row('ready')];
  await handle.db.insert(soundsTable).values(rows);
  expect(await kindsNow()).toEqual(['created', 'created', 'created']);
  const recorded = await handle.db.select().from(soundEvents).orderBy(asc(soundEvents.id));
  const last = recorded.slice(-3).map(({ createdAt, ...event }) => event);
  expect(last).toEqual(notices);
  expect(notices.map((notice) => notice.soundId)).toEqual(rows.map((sound) => sound.id));
});

it('tells a rename, a processing outcome, another change and a delete apart', async () => {
  const listed = row('ready');
  await handle.db.insert(soundsTable).values(listed);
  const change = (values: Partial<typeof soundsTable.$inferInsert>) =>
    handle.db.update(soundsTable).set(values).where(eq(soundsTable.id, listed.id));
  await change({ title: 'renamed' });
  await change({ processing: 'ready', durationMs: 1000 });
  await change({ loudnessLufs: -14 });
  // A heartbeat alone changes nothing shown.
  await change({ updatedAt: new Date() });
  // The delete flow: the row leaves the listing, then goes.
  await change({ status: 'deleting' });
  await handle.db.delete(soundsTable).where(eq(soundsTable.id, listed.id));
  expect(await kindsNow()).toEqual(['created', 'renamed', 'processing', 'updated', 'deleted']);
  expect(notices.at(-1)).toMatchObject({ kind: 'deleted', processing: null });

  notices.length = 0;
  const other = row('ready');
  await handle.db.insert(soundsTable).values(other);
  await handle.db.delete(soundsTable).where(eq(soundsTable.id, other.id));
  expect(await kindsNow()).toEqual(['created', 'deleted']);
});

it('is announced when the transaction commits, and neither recorded nor announced when it rolls back', async () => {
  const rolledBack = row('ready');
  await handle.db
    .transaction(async (tx) => {
      await tx.insert(soundsTable).values(rolledBack);
      await sleep(100);
      expect(notices).toEqual([]);
      throw new Error('rolled back');
    })
    .catch(() => {});
  expect(await kindsNow()).toEqual([]);
  const recorded = await handle.db
    .select()
    .from(soundEvents)
    .where(eq(soundEvents.soundId, rolledBack.id));
  expect(recorded).toEqual([]);
  await handle.db.transaction(async (tx) => {
    await tx.insert(soundsTable).values(row('ready'));
  });
  expect(await kindsNow()).toEqual(['created']);
});

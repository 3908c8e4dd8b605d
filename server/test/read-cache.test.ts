import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import { eq } from '../src/db/orm.ts';
import { soundsTable } from '../src/db/schema.ts';
import { createReadCache } from '../src/sounds/read-cache.ts';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

describe('createReadCache', () => {
  it('reads a key once for concurrent requests and answers from memory until the TTL', async () => {
    const cache = createReadCache<string>({ ttlMs: 200, maxEntries: 10 });
    let reads = 0;
    const read = async () => {
      reads += 1;
      await sleep(20);
      return `page ${reads}`;
    };
    const answers = await Promise.all([1, 2, 3].map(() => cache.get('page', read)));
    expect(answers).toEqual(['page 1', 'page 1', 'page 1']);
    expect(await cache.get('page', read)).toBe('page 1');
    expect(reads).toBe(1);

    await sleep(250);
    expect(await cache.get('page', read)).toBe('page 2');
  });

  it('keeps keys apart', async () => {
    const cache = createReadCache<string>({ ttlMs: 10_000, maxEntries: 10 });
    expect(await cache.get('a', async () => 'A')).toBe('A');
    expect(await cache.get('b', async () => 'B')).toBe('B');
    expect(await cache.get('a', async () => 'not read')).toBe('A');
  });

  it('never answers from an entry read before invalidate(), even one still being read', async () => {
    const cache = createReadCache<string>({ ttlMs: 10_000, maxEntries: 10 });
    let release = () => {};
    const slowOldRead = cache.get(
      'page',
      () =>
        new Promise((resolve) => {
          release = () => resolve('old');
        }),
    );
    cache.invalidate();
    expect(await cache.get('page', async () => 'new')).toBe('new');
    release();
    expect(await slowOldRead).toBe('old');
    expect(await cache.get('page', async () => 'newer')).toBe('new');
  });

  it('remembers neither a failed read nor one that found nothing', async () => {
    const cache = createReadCache<string>({ ttlMs: 10_000, maxEntries: 10 });
    await expect(
      cache.get('page', () => Promise.reject(new Error('database down'))),
    ).rejects.toThrow('database down');
    expect(await cache.get('page', async () => undefined)).toBeUndefined();
    expect(await cache.get('page', async () => 'page')).toBe('page');
  });

  it('answers every caller when more keys are read at once than it holds', async () => {
    // Entries evicted while their read runs: lru-cache rejects those fetches ("evicted")
    // unless told otherwise.
    const cache = createReadCache<string>({ ttlMs: 10_000, maxEntries: 2 });
    const keys = Array.from({ length: 50 }, (_, i) => `page ${i}`);
    const answers = await Promise.all(
      keys.map((key) => cache.get(key, () => sleep(5).then(() => key))),
    );
    expect(answers).toEqual(keys);
  });

  it('passes a failed read on once, without reading again', async () => {
    const cache = createReadCache<string>({ ttlMs: 10_000, maxEntries: 10 });
    let reads = 0;
    const failing = () => {
      reads += 1;
      return sleep(5).then(() => Promise.reject(new Error('database down')));
    };
    const answers = await Promise.allSettled([1, 2, 3].map(() => cache.get('page', failing)));
    expect(answers.map((answer) => answer.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(reads).toBe(1);
  });

  it('reads every time when its TTL is 0', async () => {
    const cache = createReadCache<string>({ ttlMs: 0, maxEntries: 10 });
    let reads = 0;
    await cache.get('page', async () => String(++reads));
    expect(await cache.get('page', async () => String(++reads))).toBe('2');
  });
});

describe('the API with its read cache on', () => {
  let system: TestSystem;
  let userId: number;
  const titles = async () => {
    const response = await fetch(`${system.url}/sounds`);
    expect(response.status).toBe(200);
    const body = await json<{ items: Array<{ id: string; title: string }> }>(response);
    return body.items.map((sound) => sound.title);
  };

  beforeAll(async () => {
    // Long enough that anything seen sooner was not the TTL's doing.
    system = await startSystem({ READ_CACHE_TTL_MS: '60000' });
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  it("shows this API's own uploads and deletes at once", async () => {
    expect(await titles()).not.toContain('fresh');
    const uploaded = await uploadSound(system.url, {
      userId,
      bytes: wavTone({ seconds: 0.1 }),
      title: 'fresh',
    });
    const { id } = await json<{ id: string }>(uploaded);
    expect(await titles()).toContain('fresh');
    // Looked up once, so the sound itself is remembered too.
    expect((await fetch(`${system.url}/sounds/${id}`)).status).toBe(200);
    expect((await fetch(`${system.url}/sounds/${id}/audio`)).status).toBe(200);

    const deleted = await fetch(`${system.url}/sounds/${id}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(userId) },
    });
    expect(deleted.status).toBe(204);
    expect(await titles()).not.toContain('fresh');
    expect((await fetch(`${system.url}/sounds/${id}`)).status).toBe(404);
    expect((await fetch(`${system.url}/sounds/${id}/audio`)).status).toBe(404);
  });

  it('answers 404, not 503, for a remembered sound another replica has deleted', async () => {
    const uploaded = await uploadSound(system.url, { userId, bytes: wavTone({ seconds: 0.1 }) });
    const { id } = await json<{ id: string }>(uploaded);
    expect((await fetch(`${system.url}/sounds/${id}/audio`)).status).toBe(200);

    // Another replica's delete: the row turns `deleting`, then the file goes.
    const db = system.api.db as Database;
    const [row] = await db
      .update(soundsTable)
      .set({ status: 'deleting' })
      .where(eq(soundsTable.id, id))
      .returning();
    const removed = await fetch(`${system.fileStore.url}/files/${row?.storageKey}`, {
      method: 'DELETE',
    });
    expect(removed.ok).toBe(true);

    const played = await fetch(`${system.url}/sounds/${id}/audio`);
    expect(played.status).toBe(404);
    expect(await json(played)).toMatchObject({ code: 'SOUND_NOT_FOUND' });
  });

  it("shows another process's writes as soon as they commit, not after the TTL", async () => {
    const db = system.api.db as Database;
    expect(await titles()).not.toContain('from elsewhere');
    // A heartbeat of an upload in progress (not listed) says nothing: the cache stays.
    const uploading = randomUUID();
    await db.insert(soundsTable).values({
      id: uploading,
      storageKey: randomUUID(),
      userId,
      title: 'still uploading',
      filename: 'x.wav',
      contentType: 'audio/wav',
      status: 'uploading',
      size: 44,
    });
    // A listed row written behind the API's back (another replica, a worker): the database's
    // notice on commit makes the API forget its cached pages.
    const began = performance.now();
    await db.insert(soundsTable).values({
      id: randomUUID(),
      storageKey: randomUUID(),
      userId,
      title: 'from elsewhere',
      filename: 'x.wav',
      contentType: 'audio/wav',
      status: 'ready',
      size: 44,
    });
    while (!(await titles()).includes('from elsewhere')) {
      expect(performance.now() - began, 'the write shows before the 60 s TTL').toBeLessThan(5_000);
      await sleep(10);
    }
    // Renamed behind its back: the same.
    await db
      .update(soundsTable)
      .set({ title: 'renamed elsewhere' })
      .where(eq(soundsTable.title, 'from elsewhere'));
    while (!(await titles()).includes('renamed elsewhere')) {
      expect(performance.now() - began).toBeLessThan(5_000);
      await sleep(10);
    }
    expect(await titles()).not.toContain('still uploading');
  });
});

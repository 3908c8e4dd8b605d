import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import { sounds } from '../src/db/schema.ts';
import { createListingCache } from '../src/sounds/listing-cache.ts';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

describe('createListingCache', () => {
  const page = { limit: 20 };

  it('builds a page once for concurrent requests and answers from memory until the TTL', async () => {
    const cache = createListingCache({ ttlMs: 200, maxPages: 10 });
    let builds = 0;
    const build = async () => {
      builds += 1;
      await sleep(20);
      return `page ${builds}`;
    };
    const answers = await Promise.all([1, 2, 3].map(() => cache.get(page, build)));
    expect(answers).toEqual(['page 1', 'page 1', 'page 1']);
    expect(await cache.get(page, build)).toBe('page 1');
    expect(builds).toBe(1);

    await sleep(250);
    expect(await cache.get(page, build)).toBe('page 2');
  });

  it('keeps pages apart by limit, cursor and uploader', async () => {
    const cache = createListingCache({ ttlMs: 10_000, maxPages: 10 });
    const keys = [
      { limit: 20 },
      { limit: 50 },
      { limit: 20, cursor: 'c' },
      { limit: 20, userId: 7 },
    ];
    for (const [index, key] of keys.entries()) {
      expect(await cache.get(key, async () => `page ${index}`)).toBe(`page ${index}`);
    }
  });

  it('never answers from a page built before invalidate(), even one still being built', async () => {
    const cache = createListingCache({ ttlMs: 10_000, maxPages: 10 });
    let release = () => {};
    const slowOldPage = cache.get(
      page,
      () =>
        new Promise((resolve) => {
          release = () => resolve('old');
        }),
    );
    cache.invalidate();
    expect(await cache.get(page, async () => 'new')).toBe('new');
    release();
    expect(await slowOldPage).toBe('old');
    expect(await cache.get(page, async () => 'newer')).toBe('new');
  });

  it('does not remember a failed build', async () => {
    const cache = createListingCache({ ttlMs: 10_000, maxPages: 10 });
    await expect(cache.get(page, () => Promise.reject(new Error('database down')))).rejects.toThrow(
      'database down',
    );
    expect(await cache.get(page, async () => 'page')).toBe('page');
  });

  it('builds every time when its TTL is 0', async () => {
    const cache = createListingCache({ ttlMs: 0, maxPages: 10 });
    let builds = 0;
    await cache.get(page, async () => String(++builds));
    expect(await cache.get(page, async () => String(++builds))).toBe('2');
  });
});

describe('GET /sounds with the listing cache on', () => {
  let system: TestSystem;
  let userId: number;
  const titles = async () => {
    const response = await fetch(`${system.url}/sounds`);
    expect(response.status).toBe(200);
    const body = await json<{ items: Array<{ id: string; title: string }> }>(response);
    return body.items.map((sound) => sound.title);
  };

  beforeAll(async () => {
    system = await startSystem({ LISTING_CACHE_TTL_MS: '400' });
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

    const deleted = await fetch(`${system.url}/sounds/${id}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(userId) },
    });
    expect(deleted.status).toBe(204);
    expect(await titles()).not.toContain('fresh');
  });

  it("shows another replica's writes (rows it did not write) within the TTL", async () => {
    expect(await titles()).not.toContain('from elsewhere');
    await (system.api.db as Database).insert(sounds).values({
      id: randomUUID(),
      storageKey: randomUUID(),
      userId,
      title: 'from elsewhere',
      filename: 'x.wav',
      contentType: 'audio/wav',
      status: 'ready',
      size: 44,
    });
    // Answered from memory: the page was built before the row existed.
    expect(await titles()).not.toContain('from elsewhere');
    await sleep(450);
    expect(await titles()).toContain('from elsewhere');
  });
});

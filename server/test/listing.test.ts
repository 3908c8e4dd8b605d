import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import { soundsTable } from '../src/db/schema.ts';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

interface Page {
  items: Array<{ id: string; userId: number; title: string }>;
  nextCursor: string | null;
}

let system: TestSystem;
let alice: number;
let bob: number;
/** Uploaded ids, oldest first. */
const uploaded: string[] = [];

beforeAll(async () => {
  system = await startSystem();
  alice = await system.createUser();
  bob = await system.createUser();
  for (let i = 0; i < 5; i++) {
    const userId = i % 2 === 0 ? alice : bob;
    const response = await uploadSound(system.url, {
      userId,
      bytes: wavTone({ seconds: 0.1 }),
      title: `sound ${i}`,
    });
    uploaded.push((await json<{ id: string }>(response)).id);
  }
});
afterAll(() => system?.close());

const list = async (query = '') => {
  const response = await fetch(`${system.url}/sounds${query}`);
  return { status: response.status, body: await json<Page & { code?: string }>(response) };
};

describe('GET /sounds', () => {
  it('lists ready sounds newest first with the default page size', async () => {
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body.items.map((sound) => sound.id)).toEqual([...uploaded].reverse());
    expect(body.nextCursor).toBeNull();
  });

  it('walks every page with the cursor, each sound once, ending with a null cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body }: { body: Page } = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((sound) => sound.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...uploaded].reverse());
  });

  it('stays stable when sounds are added between pages', async () => {
    const first = await list('?limit=2');
    const newer = await uploadSound(system.url, {
      userId: alice,
      bytes: wavTone({ seconds: 0.1 }),
    });
    const newId = (await json<{ id: string }>(newer)).id;
    const rest: string[] = [];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await list(`?limit=2&cursor=${cursor}`);
      rest.push(...page.body.items.map((sound) => sound.id));
      cursor = page.body.nextCursor;
    }
    const all = [...first.body.items.map((sound) => sound.id), ...rest];
    expect(all).toEqual([...uploaded].reverse());
    expect(all).not.toContain(newId);
    await fetch(`${system.url}/sounds/${newId}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(alice) },
    });
  });

  it('filters by uploader with userId', async () => {
    const { body } = await list(`?userId=${bob}`);
    expect(body.items.map((sound) => sound.id)).toEqual([uploaded[3], uploaded[1]]);
    expect(body.items.every((sound) => sound.userId === bob)).toBe(true);
  });

  it('never lists uploading or deleting rows', async () => {
    const db = system.api.db as Database;
    const hidden = ['uploading', 'deleting'] as const;
    for (const status of hidden) {
      await db.insert(soundsTable).values({
        id: randomUUID(),
        storageKey: randomUUID(),
        userId: alice,
        title: `hidden ${status}`,
        filename: 'x.wav',
        contentType: 'audio/wav',
        status,
      });
    }
    const { body } = await list('?limit=100');
    expect(body.items.map((sound) => sound.title)).not.toContain('hidden uploading');
    expect(body.items.map((sound) => sound.title)).not.toContain('hidden deleting');
  });

  it.each([
    ['limit=0'],
    ['limit=101'],
    ['limit=abc'],
    ['limit=1.5'],
    ['limit=-3'],
    ['userId=0'],
    ['userId=abc'],
    ['cursor='],
  ])('answers 400 INVALID_REQUEST for %s', async (query) => {
    const { status, body } = await list(`?${query}`);
    expect(status).toBe(400);
    expect(body.code).toBe('INVALID_REQUEST');
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['valid base64 of junk', Buffer.from('{"a":1}').toString('base64url')],
    ['a bad date', Buffer.from(JSON.stringify(['yesterday', randomUUID()])).toString('base64url')],
    [
      'a bad id',
      Buffer.from(JSON.stringify([new Date().toISOString(), "1' or 1=1"])).toString('base64url'),
    ],
  ])('answers 400 INVALID_CURSOR for %s', async (_name, cursor) => {
    const { status, body } = await list(`?cursor=${encodeURIComponent(cursor)}`);
    expect(status).toBe(400);
    expect(body.code).toBe('INVALID_CURSOR');
  });
});

describe('GET /sounds/:id', () => {
  it('answers 200 with one sound', async () => {
    const id = uploaded[0] as string;
    const response = await fetch(`${system.url}/sounds/${id}`);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ id, title: 'sound 0', userId: alice });
  });

  it('answers 404 SOUND_NOT_FOUND for an unknown id', async () => {
    const response = await fetch(`${system.url}/sounds/${randomUUID()}`);
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({ code: 'SOUND_NOT_FOUND' });
  });

  it.each(['123', 'not-a-uuid', `${randomUUID()}x`])(
    'answers 400 for the malformed id %s',
    async (id) => {
      const response = await fetch(`${system.url}/sounds/${id}`);
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ code: 'INVALID_REQUEST' });
    },
  );
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldForSearch, prefixQuery } from '../src/sounds/search-text.ts';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

describe('search text', () => {
  it.each([
    ['Piano Sketch.WAV', 'piano sketch wav'],
    ['Café au lait', 'cafe au lait'],
    ['Straße, Łódź, Øresund', 'strasse lodz oresund'],
    ['field-recording_2024 (take 3)', 'field recording 2024 take 3'],
    ['Ночь 夜', 'ночь 夜'],
  ])('folds %j to %j', (text, folded) => {
    expect(foldForSearch(text)).toBe(folded);
  });

  it('makes a prefix query of the words, and none of punctuation alone', () => {
    expect(prefixQuery('  Pia  SKE ')).toBe('pia:* & ske:*');
    expect(prefixQuery("it's & | ! <->")).toBe('it:* & s:*');
    expect(prefixQuery('!!!')).toBeUndefined();
  });
});

describe('GET /sounds?q=', () => {
  let system: TestSystem;
  let alice: number;
  let bob: number;
  const titles = async (query: string) => {
    const response = await fetch(`${system.url}/sounds?${query}`);
    expect(response.status).toBe(200);
    const page = await json<{ items: Array<{ title: string }> }>(response);
    return page.items.map((sound) => sound.title).sort();
  };

  beforeAll(async () => {
    system = await startSystem();
    alice = await system.createUser();
    bob = await system.createUser();
    const sounds: Array<[number, string, string]> = [
      [alice, 'Piano sketch', 'take1.wav'],
      [alice, 'Café au lait', 'morning.wav'],
      [alice, 'Straße bei Nacht', 'street.wav'],
      [bob, 'Untitled', 'field-recording_2024.wav'],
      [bob, 'Pianissimo', 'soft.wav'],
    ];
    for (const [userId, title, filename] of sounds) {
      await uploadSound(system.url, { userId, bytes: wavTone({ seconds: 0.1 }), title, filename });
    }
  });
  afterAll(() => system?.close());

  it.each([
    ['pia', ['Pianissimo', 'Piano sketch']],
    ['PIANO', ['Piano sketch']],
    ['cafe', ['Café au lait']],
    ['CAFÉ', ['Café au lait']],
    ['strasse', ['Straße bei Nacht']],
    ['rec', ['Untitled']],
    ['2024', ['Untitled']],
    ['pia ske', ['Piano sketch']],
    ['ske pia', ['Piano sketch']],
    ['pia zzz', []],
    ['iano', []],
  ])('q=%s finds %j', async (q, found) => {
    expect(await titles(`q=${encodeURIComponent(q)}`)).toEqual(found);
  });

  it('combines with userId', async () => {
    expect(await titles(`q=pia&userId=${bob}`)).toEqual(['Pianissimo']);
  });

  it('pages through the matches with the cursor', async () => {
    const first = await json<{ items: Array<{ title: string }>; nextCursor: string }>(
      await fetch(`${system.url}/sounds?q=pia&limit=1`),
    );
    expect(first.items).toHaveLength(1);
    const second = await json<{ items: Array<{ title: string }>; nextCursor: string | null }>(
      await fetch(`${system.url}/sounds?q=pia&limit=1&cursor=${first.nextCursor}`),
    );
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect([first.items[0]?.title, second.items[0]?.title].sort()).toEqual([
      'Pianissimo',
      'Piano sketch',
    ]);
  });

  it('follows a new title at once', async () => {
    const [sound] = (
      await json<{ items: Array<{ id: string }> }>(await fetch(`${system.url}/sounds?q=untitled`))
    ).items;
    await fetch(`${system.url}/sounds/${sound?.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-user-id': String(bob) },
      body: JSON.stringify({ title: 'Harbour at dawn' }),
    });
    expect(await titles('q=untitled')).toEqual([]);
    expect(await titles('q=harb')).toEqual(['Harbour at dawn']);
  });

  it('lists everything for a query without words, and refuses one over 200 characters', async () => {
    expect(await titles('q=%21%21')).toHaveLength(5);
    const response = await fetch(`${system.url}/sounds?q=${'a'.repeat(201)}`);
    expect(response.status).toBe(400);
  });
});

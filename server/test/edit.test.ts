import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

let system: TestSystem;
let owner: number;
let stranger: number;
beforeAll(async () => {
  system = await startSystem();
  owner = await system.createUser();
  stranger = await system.createUser();
});
afterAll(() => system?.close());

async function upload(title: string): Promise<string> {
  const response = await uploadSound(system.url, { userId: owner, bytes: wavTone(), title });
  return (await json<{ id: string }>(response)).id;
}

function rename(id: string, body: unknown, userId: number | null = owner) {
  return fetch(`${system.url}/sounds/${id}`, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/json',
      ...(userId === null ? {} : { 'x-user-id': String(userId) }),
    },
    body: JSON.stringify(body),
  });
}

describe('PATCH /sounds/:id', () => {
  it('gives the owner’s sound its new title, shown at once everywhere', async () => {
    const id = await upload('Old name');
    // Read once, so the read cache holds the old title.
    await fetch(`${system.url}/sounds`);
    const response = await rename(id, { title: '  New name ' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id, title: 'New name', userId: owner });

    const one = await json<{ title: string }>(await fetch(`${system.url}/sounds/${id}`));
    expect(one.title).toBe('New name');
    const list = await json<{ items: Array<{ id: string; title: string }> }>(
      await fetch(`${system.url}/sounds`),
    );
    expect(list.items.find((sound) => sound.id === id)?.title).toBe('New name');
  });

  it('cleans the title as an upload’s is (control and invisible characters out, line breaks as spaces)', async () => {
    const id = await upload('x');
    const response = await rename(id, { title: 'Two\r\nlines\u0007 \u202eend\u200B\uFEFF' });
    expect(await response.json()).toMatchObject({ title: 'Two  lines end' });
  });

  it.each([
    ['someone else', () => stranger, 403, 'NOT_OWNER'],
    ['nobody', () => null, 401, 'AUTH_REQUIRED'],
  ])('refuses %s with %i', async (_who, userId, status, code) => {
    const id = await upload('Mine');
    const response = await rename(id, { title: 'Theirs' }, userId());
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code });
    const one = await json<{ title: string }>(await fetch(`${system.url}/sounds/${id}`));
    expect(one.title).toBe('Mine');
  });

  it('answers 404 for a sound that does not exist or was deleted', async () => {
    expect((await rename('00000000-0000-4000-8000-000000000000', { title: 'x' })).status).toBe(404);
    const id = await upload('Soon gone');
    await fetch(`${system.url}/sounds/${id}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(owner) },
    });
    const response = await rename(id, { title: 'Too late' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'SOUND_NOT_FOUND' });
  });

  it.each([
    ['an empty title', { title: '' }, 'INVALID_REQUEST'],
    ['only control characters', { title: '\u0007\u001b' }, 'EMPTY_TITLE'],
    ['only zero-width characters', { title: '\u200B\uFEFF' }, 'EMPTY_TITLE'],
    ['only invisible characters', { title: '\u2060\u202E\u3164\u00AD' }, 'EMPTY_TITLE'],
    ['a title of 201 characters', { title: 'é'.repeat(201) }, 'INVALID_REQUEST'],
    ['NUL', { title: 'a\u0000b' }, 'INVALID_TITLE'],
    ['another field', { title: 'x', userId: 1 }, 'INVALID_REQUEST'],
    ['no title', {}, 'INVALID_REQUEST'],
    ['a number', { title: 5 }, 'INVALID_REQUEST'],
  ])('refuses %s with 400, changing nothing', async (_what, body, code) => {
    const id = await upload('Unchanged');
    const response = await rename(id, body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code });
    const one = await json<{ title: string }>(await fetch(`${system.url}/sounds/${id}`));
    expect(one.title).toBe('Unchanged');
  });
});

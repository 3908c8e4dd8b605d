import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

let system: TestSystem;
let owner: number;
let other: number;
beforeAll(async () => {
  system = await startSystem();
  owner = await system.createUser();
  other = await system.createUser();
});
afterAll(() => system?.close());

async function upload(userId = owner): Promise<{ id: string }> {
  return json<{ id: string }>(
    await uploadSound(system.url, { userId, bytes: wavTone({ seconds: 0.2 }) }),
  );
}

const remove = (id: string, userId?: number | string) =>
  fetch(`${system.url}/sounds/${id}`, {
    method: 'DELETE',
    headers: userId === undefined ? {} : { 'x-user-id': String(userId) },
  });

describe('DELETE /sounds/:id', () => {
  it('lets the owner delete: 204, then gone from the list, the API and file_store', async () => {
    const { id } = await upload();
    const files = await system.countStoredFiles();
    const response = await remove(id, owner);
    expect(response.status).toBe(204);
    expect((await fetch(`${system.url}/sounds/${id}`)).status).toBe(404);
    expect((await fetch(`${system.url}/sounds/${id}/audio`)).status).toBe(404);
    const listed = await json<{ items: Array<{ id: string }> }>(
      await fetch(`${system.url}/sounds?limit=100`),
    );
    expect(listed.items.map((sound) => sound.id)).not.toContain(id);
    expect(await system.countStoredFiles()).toBe(files - 1);
  });

  it("answers 403 NOT_OWNER for someone else's sound and keeps it", async () => {
    const { id } = await upload(owner);
    const response = await remove(id, other);
    expect(response.status).toBe(403);
    expect(await json(response)).toMatchObject({ code: 'NOT_OWNER' });
    expect((await fetch(`${system.url}/sounds/${id}/audio`)).status).toBe(200);
  });

  it('answers 404 for an unknown sound, 400 for a malformed id', async () => {
    const unknown = await remove(randomUUID(), owner);
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ code: 'SOUND_NOT_FOUND' });
    expect((await remove('42', owner)).status).toBe(400);
  });

  it('answers 401 without a user, 401 for an unknown user and 400 for a malformed one', async () => {
    const { id } = await upload();
    expect(await json(await remove(id))).toMatchObject({ statusCode: 401, code: 'AUTH_REQUIRED' });
    expect(await json(await remove(id, 2147483600))).toMatchObject({
      statusCode: 401,
      code: 'UNKNOWN_USER',
    });
    expect(await json(await remove(id, '1e3'))).toMatchObject({
      statusCode: 400,
      code: 'INVALID_USER_ID',
    });
    expect((await fetch(`${system.url}/sounds/${id}`)).status).toBe(200);
  });

  it('gives one 204 and one 404 to two concurrent deletes', async () => {
    const { id } = await upload();
    const statuses = (await Promise.all([remove(id, owner), remove(id, owner)])).map(
      (r) => r.status,
    );
    expect(statuses.sort()).toEqual([204, 404]);
  });
});

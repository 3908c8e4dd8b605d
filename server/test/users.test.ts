import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const postUser = (body: string, contentType = 'application/json') =>
  fetch(`${system.url}/users`, { method: 'POST', headers: { 'content-type': contentType }, body });

const me = (headers: Record<string, string>) => fetch(`${system.url}/me`, { headers });

describe('POST /users', () => {
  it('creates the user in user_api and answers 201 with its id', async () => {
    const response = await postUser(JSON.stringify({ id: 424242 }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 424242 });
    expect((await fetch(`${system.userApi.url}/user/424242`)).status).toBe(200);
  });

  it('answers 409 USER_EXISTS for an id that is taken', async () => {
    const id = await system.createUser();
    const response = await postUser(JSON.stringify({ id }));
    expect(response.status).toBe(409);
    expect(await json(response)).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      code: 'USER_EXISTS',
    });
  });

  it.each([
    ['a string id', '{"id":"5"}'],
    ['a float', '{"id":1.5}'],
    ['zero', '{"id":0}'],
    ['a negative id', '{"id":-1}'],
    ['an id above 2147483647', '{"id":2147483648}'],
    ['a missing id', '{}'],
    ['an extra field', '{"id":5,"admin":true}'],
    ['null', 'null'],
  ])('answers 400 INVALID_REQUEST for %s, without calling user_api', async (_name, body) => {
    const response = await postUser(body);
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ statusCode: 400, code: 'INVALID_REQUEST' });
  });

  it('answers 400 INVALID_JSON for a body that is not JSON', async () => {
    const response = await postUser('{"id":');
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('answers 415 for a body that is not JSON at all', async () => {
    const response = await postUser('id=5', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(415);
    expect(await json(response)).toMatchObject({ code: 'UNSUPPORTED_CONTENT_TYPE' });
  });

  it('answers 503 USER_API_UNAVAILABLE while user_api is down, and recovers after', async () => {
    await system.userApi.stop();
    try {
      const response = await postUser(JSON.stringify({ id: 515151 }));
      expect(response.status).toBe(503);
      expect(await json(response)).toMatchObject({ code: 'USER_API_UNAVAILABLE' });
    } finally {
      await system.userApi.start();
    }
    expect((await postUser(JSON.stringify({ id: 515151 }))).status).toBe(201);
  });
});

describe('GET /me', () => {
  it('answers 200 with the id of a registered user and their quota, unused', async () => {
    const id = await system.createUser();
    const response = await me({ 'x-user-id': String(id) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id,
      storage: { usedBytes: 0, limitBytes: system.api.config.USER_STORAGE_BYTES },
      pendingSounds: { count: 0, limit: system.api.config.USER_PENDING_SOUNDS },
    });
  });

  it('answers 401 AUTH_REQUIRED without the header', async () => {
    const response = await me({});
    expect(response.status).toBe(401);
    expect(await json(response)).toMatchObject({ code: 'AUTH_REQUIRED' });
  });

  it('answers 401 UNKNOWN_USER for a well-formed id nobody registered', async () => {
    const response = await me({ 'x-user-id': '2147483647' });
    expect(response.status).toBe(401);
    expect(await json(response)).toMatchObject({ code: 'UNKNOWN_USER' });
  });

  // HTTP strips spaces around a header value before we see it (" 1" arrives as "1"), so
  // surrounding spaces are covered by parseUserId's own test; inner ones are checked here.
  it.each([
    '',
    'abc',
    '1.5',
    '-1',
    '0',
    '01',
    '1 2',
    '1e3',
    '2147483648',
    '12345678901234567890',
    '+1',
    '0x10',
  ])('answers 400 INVALID_USER_ID for X-User-Id %j before asking user_api', async (value) => {
    // user_api is stopped: a 400 proves the id was rejected before any network call.
    await system.userApi.stop();
    try {
      const response = await me({ 'x-user-id': value });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ code: 'INVALID_USER_ID' });
    } finally {
      await system.userApi.start();
    }
  });

  it('answers 400 for a repeated X-User-Id header', async () => {
    const id = await system.createUser();
    const headers = new Headers();
    headers.append('x-user-id', String(id));
    headers.append('x-user-id', String(id));
    const response = await fetch(`${system.url}/me`, { headers });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 'INVALID_USER_ID' });
  });

  it('answers 503 (never 401) while user_api is down', async () => {
    const id = await system.createUser();
    await system.userApi.stop();
    try {
      const response = await me({ 'x-user-id': String(id) });
      expect(response.status).toBe(503);
      expect(await json(response)).toMatchObject({ code: 'USER_API_UNAVAILABLE' });
    } finally {
      await system.userApi.start();
    }
  });
});

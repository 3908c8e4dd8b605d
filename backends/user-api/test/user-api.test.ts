import { describe, expect, it } from 'vitest';
import { postUser, startApp } from './helpers.ts';

const json = { 'content-type': 'application/json' };

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await response.json();
  expect(body).toEqual({
    statusCode: status,
    error: expect.any(String),
    message: expect.any(String),
    code,
  });
  return body;
}

describe('GET /health', () => {
  it('answers ok', async () => {
    const { url } = await startApp();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('POST /user and GET /user/:user_id', () => {
  it('404s an unknown user', async () => {
    const { url } = await startApp();
    await expectError(await fetch(`${url}/user/5`), 404, 'USER_NOT_FOUND');
  });

  it('creates a user that can then be found', async () => {
    const { url } = await startApp();
    const created = await postUser(url, JSON.stringify({ id: 5 }));
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 5 });

    const found = await fetch(`${url}/user/5`);
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ id: 5 });
    await expectError(await fetch(`${url}/user/6`), 404, 'USER_NOT_FOUND');
  });

  it('409s a duplicate id', async () => {
    const { url } = await startApp();
    expect((await postUser(url, '{"id":42}')).status).toBe(201);
    await expectError(await postUser(url, '{"id":42}'), 409, 'USER_EXISTS');
  });

  it.each([1, 2147483647])('accepts the boundary id %i', async (id) => {
    const { url } = await startApp();
    expect((await postUser(url, JSON.stringify({ id }))).status).toBe(201);
    expect((await fetch(`${url}/user/${id}`)).status).toBe(200);
  });
});

describe('bad input', () => {
  it.each([
    ['a missing id', '{}'],
    ['an extra field', '{"id":5,"name":"x"}'],
    ['a numeric string', '{"id":"5"}'],
    ['a float', '{"id":1.5}'],
    ['a negative id', '{"id":-1}'],
    ['zero', '{"id":0}'],
    ['an id above 2147483647', '{"id":2147483648}'],
    ['null', 'null'],
    ['an array', '[5]'],
    ['invalid JSON', '{"id":'],
    ['an empty body', ''],
  ])('rejects %s with 400 and creates nothing', async (_, body) => {
    const { url } = await startApp();
    await expectError(await postUser(url, body), 400, 'INVALID_BODY');
    // Catches coercion ("5" → 5) or stripping of extra fields sneaking a user in.
    expect((await fetch(`${url}/user/5`)).status).toBe(404);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])(
    'rejects a %s body with 415 Unsupported Media Type',
    async (contentType) => {
      const { url } = await startApp();
      const response = await postUser(url, '{"id":5}', contentType);
      expect(await response.clone().json()).toMatchObject({ error: 'Unsupported Media Type' });
      await expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect((await fetch(`${url}/user/5`)).status).toBe(404);
    },
  );

  it.each(['abc', '1.5', '-1', '0', '05', '1e3', '0x10', '2147483648', '99999999999'])(
    'rejects the path id %s with 400',
    async (id) => {
      const { url } = await startApp();
      await expectError(await fetch(`${url}/user/${id}`), 400, 'INVALID_USER_ID');
    },
  );

  it('answers an unknown route with a JSON 404', async () => {
    const { url } = await startApp();
    await expectError(await fetch(`${url}/users`, { headers: json }), 404, 'ROUTE_NOT_FOUND');
  });
});

describe('concurrency and persistence', () => {
  it('gives exactly one 201 when ten POSTs of the same id race', async () => {
    const { url } = await startApp();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => postUser(url, '{"id":7}')),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
  });

  it('gives exactly one 201 when two apps share a data directory', async () => {
    const first = await startApp();
    const second = await startApp(first.dataDir);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => postUser((i % 2 ? first : second).url, '{"id":8}')),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
  });

  it('keeps users across a restart', async () => {
    const before = await startApp();
    expect((await postUser(before.url, '{"id":9}')).status).toBe(201);
    await before.app.close();

    const after = await startApp(before.dataDir);
    expect((await fetch(`${after.url}/user/9`)).status).toBe(200);
    await expectError(await postUser(after.url, '{"id":9}'), 409, 'USER_EXISTS');
    await expectError(await fetch(`${after.url}/user/10`), 404, 'USER_NOT_FOUND');
  });
});

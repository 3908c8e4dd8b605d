import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

const USER_CREATIONS = 3;
const UPLOADS = 2;
const FAILED_IDENTITY_CHECKS = 3;
const WINDOW_MS = 60_000;

let system: TestSystem;
let nextId = 7_000_000 + Math.floor(Math.random() * 1_000_000);
beforeAll(async () => {
  system = await startSystem({
    RATE_LIMIT_USER_CREATIONS: String(USER_CREATIONS),
    RATE_LIMIT_UPLOADS: String(UPLOADS),
    RATE_LIMIT_FAILED_IDENTITY_CHECKS: String(FAILED_IDENTITY_CHECKS),
    RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
  });
});
afterAll(() => system?.close());

function register(id: number, headers: Record<string, string> = {}) {
  return fetch(`${system.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ id }),
  });
}

/** GET /me as `userId` from the local address `localAddress`; resolves with the status. */
function identifyFrom(localAddress: string, userId: number): Promise<number> {
  const { hostname, port } = new URL(system.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: hostname, port, localAddress, path: '/me', headers: { 'x-user-id': String(userId) } },
      (reply) => {
        reply.resume();
        reply.on('end', () => resolve(reply.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** POST /users from the local address `localAddress`; resolves with the status. */
function registerFrom(
  localAddress: string,
  id: number,
  { url = system.url, headers = {} }: { url?: string; headers?: Record<string, string> } = {},
): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: hostname,
        port,
        localAddress,
        method: 'POST',
        path: '/users',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (reply) => {
        reply.resume();
        reply.on('end', () => resolve(reply.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify({ id }));
  });
}

async function expectRateLimited(response: Response, what: string): Promise<void> {
  expect(response.status).toBe(429);
  expect(await json(response)).toEqual({
    statusCode: 429,
    error: 'Too Many Requests',
    message: expect.stringMatching(new RegExp(`^Too many ${what} from your address; try again in`)),
    code: 'RATE_LIMITED',
  });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
}

describe('rate limits', () => {
  it('lets an address register RATE_LIMIT_USER_CREATIONS users a window, then answers 429', async () => {
    for (let i = 0; i < USER_CREATIONS; i++) expect((await register(++nextId)).status).toBe(201);
    const refusedId = ++nextId;
    // From the web app: the browser must be allowed to read the 429 to show it.
    const refused = await register(refusedId, { origin: 'http://localhost' });
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost');
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    await expectRateLimited(refused, 'registrations');
    // Refused before anything happened: the user was not created.
    expect((await fetch(`${system.userApi.url}/user/${refusedId}`)).status).toBe(404);
  });

  it('keys on the connection’s address, not on an X-Forwarded-For the client writes', async () => {
    await expectRateLimited(
      await register(++nextId, { 'x-forwarded-for': '203.0.113.9' }),
      'registrations',
    );
    // Another address (Linux routes all of 127/8 to loopback) has its own allowance.
    expect(await registerFrom('127.0.0.2', ++nextId)).toBe(201);
  });

  it('lets an address start RATE_LIMIT_UPLOADS uploads a window, then refuses before reading', async () => {
    const userId = await system.createUser();
    for (let i = 0; i < UPLOADS; i++) {
      expect((await uploadSound(system.url, { userId, bytes: wavTone() })).status).toBe(201);
    }
    const storedBefore = await system.countStoredFiles();
    await expectRateLimited(await uploadSound(system.url, { userId, bytes: wavTone() }), 'uploads');
    // Checked first: even an unknown user gets 429, not 401, with no call to user_api.
    await expectRateLimited(
      await uploadSound(system.url, { userId: 2_147_483_000, bytes: wavTone() }),
      'uploads',
    );
    expect(await system.countStoredFiles()).toBe(storedBefore);
  });

  it('leaves every other route alone', async () => {
    const userId = await system.createUser();
    for (let i = 0; i < 10; i++) {
      expect((await fetch(`${system.url}/sounds`)).status).toBe(200);
      const me = await fetch(`${system.url}/me`, { headers: { 'x-user-id': String(userId) } });
      expect(me.status).toBe(200);
    }
  });

  it('lets an address name RATE_LIMIT_FAILED_IDENTITY_CHECKS unknown users a window, then answers 429', async () => {
    // Its own address: the budget it spends must not limit the other tests.
    const address = '127.0.0.3';
    const known = await system.createUser();
    expect(await identifyFrom(address, known)).toBe(200);
    for (let i = 0; i < FAILED_IDENTITY_CHECKS; i++) {
      expect(await identifyFrom(address, 1_999_000_000 + i)).toBe(401);
    }
    // Enumerating is over for the window: even a registered id gets no answer about itself.
    expect(await identifyFrom(address, 1_999_999_999)).toBe(429);
    expect(await identifyFrom(address, known)).toBe(429);
    // Successful checks cost nothing, and other addresses are not affected.
    expect(await identifyFrom('127.0.0.4', known)).toBe(200);
  });

  it('documents 429 on every operation that can answer it', async () => {
    const document = await json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>(await fetch(`${system.url}/openapi.json`));
    const limited = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => '429' in operation.responses)
        .map(([method]) => `${method} ${path}`),
    );
    // Registering and uploading (rate limits; resumable uploads too), anything that checks a user id (failed
    // identity checks), a sound's files (concurrent transfers per address) and event streams
    // (open at once per address).
    expect(limited.sort()).toEqual([
      'delete /sounds/{id}',
      'delete /uploads/{id}',
      'get /events',
      'get /me',
      'get /sounds/{id}/audio',
      'get /sounds/{id}/stream',
      'get /sounds/{id}/waveform',
      'head /sounds/{id}/audio',
      'head /sounds/{id}/stream',
      'head /uploads/{id}',
      'patch /sounds/{id}',
      'patch /uploads/{id}',
      'post /sounds',
      'post /sounds/{id}/retry',
      'post /uploads',
      'post /users',
    ]);
    const schemaOf = (status: string) =>
      (
        document.paths['/users']?.post?.responses[status] as {
          content?: Record<string, unknown>;
        }
      )?.content;
    expect(schemaOf('429')).toEqual(schemaOf('409'));
  });
});

describe('rate-limit window', () => {
  let shortWindow: TestSystem;
  beforeAll(async () => {
    shortWindow = await startSystem({
      RATE_LIMIT_USER_CREATIONS: '1',
      RATE_LIMIT_WINDOW_MS: '1000',
    });
  });
  afterAll(() => shortWindow?.close());

  it('gives the allowance back once the window has passed', async () => {
    const post = (id: number) =>
      fetch(`${shortWindow.url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
      });
    expect((await post(++nextId)).status).toBe(201);
    const refused = await post(++nextId);
    expect(refused.status).toBe(429);
    const waitMs = Number(refused.headers.get('retry-after')) * 1000;
    await new Promise((resolve) => setTimeout(resolve, waitMs + 100));
    expect((await post(++nextId)).status).toBe(201);
  });
});

describe('behind a proxy named in TRUST_PROXY', () => {
  let proxied: TestSystem;
  beforeAll(async () => {
    // The test's requests come from 127.0.0.1: that is the proxy here.
    proxied = await startSystem({ RATE_LIMIT_USER_CREATIONS: '1', TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => proxied?.close());

  const registerAs = (client: string) =>
    fetch(`${proxied.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ id: ++nextId }),
    });

  it('counts each client the proxy names in X-Forwarded-For on its own', async () => {
    expect((await registerAs('198.51.100.1')).status).toBe(201);
    expect((await registerAs('198.51.100.1')).status).toBe(429);
    expect((await registerAs('198.51.100.2')).status).toBe(201);
  });

  it('believes the header only from the proxy: another address is counted as itself', async () => {
    const from = (forwardedFor?: string) =>
      registerFrom('127.0.0.3', ++nextId, {
        url: proxied.url,
        headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      });
    expect(await from()).toBe(201);
    expect(await from('198.51.100.77')).toBe(429);
  });
});

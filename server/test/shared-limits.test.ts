import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { redisSlots } from '../src/lib/client-slots.ts';
import { json } from './helpers/http.ts';
import { type RedisServer, startRedisServer, testRedisUrl } from './helpers/redis.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';
import { sleep, waitUntil } from './helpers/wait.ts';

/**
 * The limits with REDIS_URL: two API instances (replicas) counting in one Redis allow each
 * limit once between them, not once each; a slot its process never gave back expires; and a
 * Redis that fails lets requests through (fail open) and shows on /ready until it is back.
 */

let nextUserId = 8_000_000 + Math.floor(Math.random() * 1_000_000);

function register(url: string): Promise<number> {
  return fetch(`${url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: ++nextUserId }),
  }).then((response) => response.status);
}

/** GET /me naming a user nobody registered: a failed identity check (401), or 429. */
function identifyUnknown(url: string): Promise<number> {
  return fetch(`${url}/me`, {
    headers: { 'x-user-id': String(2_000_000_000 + ++nextUserId) },
  }).then((response) => response.status);
}

/** An event stream held open until `close()`; its status, and the code of a refusal. */
async function openStream(
  url: string,
): Promise<{ status: number; code?: string; close(): void; response?: Response }> {
  const aborter = new AbortController();
  const response = await fetch(`${url}/events`, { signal: aborter.signal });
  if (response.status !== 200) {
    const { code } = await json<{ code: string }>(response);
    return { status: response.status, code, close: () => {} };
  }
  // Holding the response holds the stream: undici cancels the body of one collected as garbage.
  return { status: 200, close: () => aborter.abort(), response } as const;
}

/**
 * Another replica: the test system's settings (database, backends, Redis) with `settings` on
 * top, in a folder of its own; its log lines go to `logTo`, if given.
 */
async function startReplica(
  system: TestSystem,
  settings: Partial<TestSystem['api']['config']> = {},
  logTo?: { write(line: string): void },
): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-replica-'));
  const app = await buildApp(
    { ...system.api.config, DATA_DIR: dataDir, ...settings },
    {
      logger: logTo ? { level: 'info', stream: logTo } : false,
    },
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const REGISTRATIONS = 5;
const FAILED_IDENTITY_CHECKS = 3;
const EVENT_STREAMS = 3;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({
    REDIS_URL: await testRedisUrl(),
    RATE_LIMIT_USER_CREATIONS: String(REGISTRATIONS),
    RATE_LIMIT_FAILED_IDENTITY_CHECKS: String(FAILED_IDENTITY_CHECKS),
    CLIENT_MAX_EVENT_STREAMS: String(EVENT_STREAMS),
  });
});
afterAll(() => system?.close());

describe('two replicas counting in one Redis', () => {
  let replica: Awaited<ReturnType<typeof startReplica>>;
  let urls: [string, string];
  const streams: Array<{ close(): void }> = [];

  beforeAll(async () => {
    replica = await startReplica(system);
    urls = [system.url, replica.url];
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await replica?.close();
  });

  it('allow RATE_LIMIT_USER_CREATIONS registrations between them, not that many each', async () => {
    const statuses: Array<{ replica: number; status: number }> = [];
    for (let i = 0; i < 3 * REGISTRATIONS; i++) {
      statuses.push({ replica: i % 2, status: await register(urls[i % 2] as string) });
    }
    expect(statuses.filter(({ status }) => status === 201)).toHaveLength(REGISTRATIONS);
    expect(statuses.slice(REGISTRATIONS).every(({ status }) => status === 429)).toBe(true);
    // Each replica allowed some and refused some: one count, not two.
    for (const index of [0, 1]) {
      const own = statuses.filter(({ replica }) => replica === index).map(({ status }) => status);
      expect(own).toContain(201);
      expect(own).toContain(429);
    }
  });

  it('count failed identity checks (fastify.createRateLimit) between them too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2 * FAILED_IDENTITY_CHECKS; i++) {
      statuses.push(await identifyUnknown(urls[i % 2] as string));
    }
    expect(statuses).toEqual([
      ...Array(FAILED_IDENTITY_CHECKS).fill(401),
      ...Array(FAILED_IDENTITY_CHECKS).fill(429),
    ]);
  });

  it('hold CLIENT_MAX_EVENT_STREAMS streams between them; one more is refused on either, until one closes', async () => {
    for (let i = 0; i < EVENT_STREAMS; i++) {
      const stream = await openStream(urls[i % 2] as string);
      streams.push(stream);
      expect(stream.status).toBe(200);
    }
    for (const url of urls) {
      const refused = await openStream(url);
      expect(refused).toMatchObject({ status: 429, code: 'TOO_MANY_AT_ONCE' });
    }
    // Closed on the second replica, taken again on the first.
    streams[1]?.close();
    let again: Awaited<ReturnType<typeof openStream>> | undefined;
    await waitUntil('the closed stream’s slot to be free', async () => {
      again = await openStream(system.url);
      return again.status === 200;
    });
    if (again) streams.push(again);
    expect((await openStream(replica.url)).status).toBe(429);
  });

  it('say so on /ready', async () => {
    for (const url of urls) {
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(200);
      expect(await json(ready)).toMatchObject({ status: 'ready', redis: 'ok' });
    }
  });
});

describe('a slot its process never gave back (killed, or cut off from Redis)', () => {
  const TTL_MS = 600;
  const silent = { info() {}, warn() {} } as unknown as FastifyBaseLogger;

  it('stays taken while its holder refreshes it, and is free again within the TTL once it stops', async () => {
    const url = await testRedisUrl();
    const holderConnection = new Redis(url);
    const otherConnection = new Redis(url);
    const holder = redisSlots(holderConnection, { ttlMs: TTL_MS, log: silent });
    const other = redisSlots(otherConnection, { ttlMs: TTL_MS, log: silent });
    try {
      const key = 'events:192.0.2.1';
      expect(await holder.take(key, 1)).toBeTypeOf('function');
      // Three TTLs later, still held: the holder moved its expiry on.
      await sleep(3 * TTL_MS);
      expect(await other.take(key, 1)).toBeNull();

      // The holder's process dies: no more refreshes, and no release.
      holder.close();
      holderConnection.disconnect();
      const died = performance.now();
      await waitUntil(
        'the dead holder’s slot to expire',
        async () => (await other.take(key, 1)) !== null,
        3 * TTL_MS,
      );
      const freedAfter = performance.now() - died;
      // Its last refresh was at most a third of the TTL before it died.
      expect(freedAfter).toBeGreaterThanOrEqual((2 / 3) * TTL_MS - 50);
      expect(freedAfter).toBeLessThanOrEqual(TTL_MS + 200);
    } finally {
      other.close();
      holder.close();
      holderConnection.disconnect();
      otherConnection.disconnect();
    }
  });
});

describe('Redis failing', () => {
  const LIMIT = 2;
  let redis: RedisServer;
  let replica: Awaited<ReturnType<typeof startReplica>>;
  const log: string[] = [];
  const streams: Array<{ close(): void }> = [];

  beforeAll(async () => {
    // A Redis of this test's own, to kill and start again.
    redis = await startRedisServer();
    replica = await startReplica(
      system,
      { REDIS_URL: redis.url, RATE_LIMIT_USER_CREATIONS: LIMIT, CLIENT_MAX_EVENT_STREAMS: 1 },
      { write: (line) => log.push(line) },
    );
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await replica?.close();
    await redis?.stop();
  });

  const readiness = async () => {
    const response = await fetch(`${replica.url}/ready`);
    return { status: response.status, body: await json(response) };
  };
  const logged = (message: string) =>
    log.filter((line) => (JSON.parse(line) as { msg?: string }).msg === message).length;

  it('lets requests through uncounted, says so on /ready (still 200), and counts again once Redis is back', async () => {
    expect(await readiness()).toMatchObject({ status: 200, body: { redis: 'ok' } });

    await redis.stop();
    expect(await readiness()).toMatchObject({
      status: 200,
      body: { status: 'ready', redis: 'unavailable' },
    });
    // Twice the limits, all let through.
    for (let i = 0; i < 2 * LIMIT; i++) expect(await register(replica.url)).toBe(201);
    for (let i = 0; i < 2; i++) {
      const stream = await openStream(replica.url);
      streams.push(stream);
      expect(stream.status).toBe(200);
    }
    // Some reconnection attempts fail meanwhile; the log says it once.
    await sleep(1_500);
    expect(logged('redis unavailable: limits let requests through')).toBe(1);
    expect(logged('redis failed: per-client limits let requests through')).toBe(1);
    for (const stream of streams.splice(0)) stream.close();

    await redis.start();
    await waitUntil(
      '/ready to see Redis again',
      async () => (await readiness()).body.redis === 'ok',
    );
    expect(logged('redis connected: limits count across replicas')).toBe(2);
    // A fresh Redis: the limits count from zero, and hold.
    for (let i = 0; i < LIMIT; i++) expect(await register(replica.url)).toBe(201);
    expect(await register(replica.url)).toBe(429);
    const stream = await openStream(replica.url);
    streams.push(stream);
    expect(stream.status).toBe(200);
    expect(await openStream(replica.url)).toMatchObject({ status: 429, code: 'TOO_MANY_AT_ONCE' });
    expect(logged('per-client limits count in redis again')).toBe(1);
  });
});

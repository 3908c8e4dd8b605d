import { type RedisServer, startRedisServer } from '@cloud-sound/server/testing/redis';
import { waitUntil } from '@cloud-sound/server/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLaunchSettings } from '../src/cli/environment.ts';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * Three API replicas behind the launcher's gateway, counting their limits in one Redis
 * (REDIS_URL): together they allow each limit once, however the gateway spreads the requests.
 * Counted in each replica's memory, the 3 × REGISTRATIONS tries below would all pass.
 */

const REPLICAS = 3;
const REGISTRATIONS = 6;
const EVENT_STREAMS = 3;

let redis: RedisServer;
let system: TestSystem;
beforeAll(async () => {
  redis = await startRedisServer();
  system = await startTestSystem({
    apiReplicas: REPLICAS,
    api: {
      REDIS_URL: redis.url,
      RATE_LIMIT_USER_CREATIONS: String(REGISTRATIONS),
      CLIENT_MAX_EVENT_STREAMS: String(EVENT_STREAMS),
    },
  });
}, 120_000);
afterAll(async () => {
  await system?.close();
  await redis?.stop();
});

/** The status each replica logged for the request of that id (pino's `request completed`). */
function answeredBy(requestId: string): Array<number | undefined> {
  return system.replicas.map((replica) => {
    for (const line of replica.output().split('\n')) {
      if (!line.startsWith('{') || !line.includes(`"${requestId}"`)) continue;
      const entry = JSON.parse(line) as { msg?: string; res?: { statusCode?: number } };
      if (entry.msg === 'request completed') return entry.res?.statusCode;
    }
    return undefined;
  });
}

describe('three replicas counting in one Redis', () => {
  it('takes REDIS_URL from the environment for the API, as DATABASE_URL', () => {
    const { settings } = readLaunchSettings({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(settings.api?.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('allow RATE_LIMIT_USER_CREATIONS registrations from one address between them', async () => {
    let nextUserId = 950_000_000 + Math.floor(Math.random() * 10_000_000);
    const tries = REPLICAS * REGISTRATIONS;
    const statuses: number[] = [];
    for (let i = 0; i < tries; i++) {
      const response = await fetch(`${system.apiUrl}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `shared-limits-${i}` },
        body: JSON.stringify({ id: ++nextUserId }),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([
      ...Array(REGISTRATIONS).fill(201),
      ...Array(tries - REGISTRATIONS).fill(429),
    ]);

    // Every replica had its share, and the ones that answered 201 before were refused after.
    await waitUntil('every request to be logged', () =>
      statuses.every((_, i) => answeredBy(`shared-limits-${i}`).some(Boolean)),
    );
    const perReplica = system.replicas.map((_, index) =>
      statuses.map((_, i) => answeredBy(`shared-limits-${i}`)[index]).filter(Boolean),
    );
    for (const answered of perReplica) {
      expect(answered).toContain(201);
      expect(answered).toContain(429);
    }
  });

  it('hold CLIENT_MAX_EVENT_STREAMS event streams from one address between them', async () => {
    const streams: AbortController[] = [];
    const open = async () => {
      const aborter = new AbortController();
      streams.push(aborter);
      const response = await fetch(`${system.apiUrl}/events`, { signal: aborter.signal });
      return { status: response.status, response };
    };
    try {
      const held = [];
      for (let i = 0; i < EVENT_STREAMS; i++) held.push(await open());
      expect(held.map(({ status }) => status)).toEqual(Array(EVENT_STREAMS).fill(200));
      // Whichever replica the gateway picks next, the address has all its streams.
      for (let i = 0; i < REPLICAS; i++) expect((await open()).status).toBe(429);
    } finally {
      for (const stream of streams) stream.abort();
    }
  });
});

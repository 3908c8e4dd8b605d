import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  emptySystem,
  listedIds,
  type Outcome,
  reapAndAudit,
  timed,
  uploadReadySound,
  userActions,
} from './helpers/fault-operations.ts';
import { type Fault, type FaultProxy, startFaultProxy } from './helpers/fault-proxy.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

/**
 * user_api behind a fault proxy: refused, slow, stalled, reset at once or midway. The open
 * routes (listing, playback) never need it; every route that checks X-User-Id answers 503
 * USER_API_UNAVAILABLE (never 401: the user may well exist) within a few backend timeouts,
 * and works again, without a restart, once user_api is reachable.
 */

const TIMEOUT_MS = 500;
// Far from a hang, yet generous: undici checks its timeouts on a coarse clock.
const ANSWER_WITHIN_MS = 5_000;

let system: TestSystem;
let proxy: FaultProxy;
let userId: number;
beforeAll(async () => {
  system = await startSystem(
    {
      BACKEND_CONNECT_TIMEOUT_MS: String(TIMEOUT_MS),
      BACKEND_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
      BACKEND_BODY_TIMEOUT_MS: String(TIMEOUT_MS),
    },
    {
      async interpose({ userApiUrl }) {
        const target = new URL(userApiUrl);
        proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
        return { USER_API_URL: proxy.urlFor(userApiUrl) };
      },
    },
  );
  userId = await system.createUser();
});
afterAll(async () => {
  await proxy?.set({ mode: 'pass' });
  await system?.close();
  await proxy?.close();
});
beforeEach(() => emptySystem(system));
afterEach(() => proxy.set({ mode: 'pass' }));

const FAULTS = {
  refused: { mode: 'refuse' },
  slow: { mode: 'latency', ms: 100 },
  stalled: { mode: 'stall' },
  reset: { mode: 'reset' },
  // The request gets partly through, then the connection is reset.
  'reset midway': { mode: 'reset', afterBytes: 40 },
} satisfies Record<string, Fault>;

type Operation = 'list' | 'upload' | 'playback' | 'delete' | 'who am I' | 'register';
const SUCCESS: Record<Operation, number> = {
  list: 200,
  upload: 201,
  playback: 200,
  delete: 204,
  'who am I': 200,
  register: 201,
};
const UNAVAILABLE = { status: 503, code: 'USER_API_UNAVAILABLE' };

const CASES = (Object.keys(FAULTS) as Array<keyof typeof FAULTS>).flatMap((fault) =>
  (Object.keys(SUCCESS) as Operation[]).map((operation) => {
    const needsUserApi = !['list', 'playback'].includes(operation);
    const answer: Partial<Outcome> =
      fault === 'slow' || !needsUserApi ? { status: SUCCESS[operation] } : UNAVAILABLE;
    return {
      fault,
      operation,
      answer,
      expected: [answer.status, answer.code].filter(Boolean).join(' '),
    };
  }),
);

const outcomes: string[] = [];
afterAll(() => {
  if (process.env.PRINT_FAULT_OUTCOMES) console.log(outcomes.join('\n'));
});

let nextNewUserId = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);

function perform(operation: Operation, soundId: string): Promise<Outcome> {
  const actions = userActions(system, userId);
  if (operation === 'list') return actions.list();
  if (operation === 'upload') return actions.upload();
  if (operation === 'playback') return actions.play(soundId);
  if (operation === 'delete') return actions.remove(soundId);
  if (operation === 'who am I') {
    return timed(() => fetch(`${system.url}/me`, { headers: { 'x-user-id': String(userId) } }));
  }
  nextNewUserId += 1;
  const body = JSON.stringify({ id: nextNewUserId });
  return timed(() =>
    fetch(`${system.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }),
  );
}

describe('user_api faults', () => {
  it.each(CASES)(
    'user_api $fault: $operation answers $expected, then recovers',
    async ({ fault, operation, answer }) => {
      const existing = await uploadReadySound(system, userId);
      await proxy.set(FAULTS[fault]);
      const outcome = await perform(operation, existing);
      await proxy.set({ mode: 'pass' });
      outcomes.push(`user_api ${fault} ${operation}: ${JSON.stringify(outcome)}`);

      expect(outcome).toMatchObject(answer);
      expect(outcome.ms).toBeLessThan(ANSWER_WITHIN_MS);
      // A refused delete left the sound alone.
      const deleted = operation === 'delete' && outcome.status === 204;
      expect(await listedIds(system)).toEqual(deleted ? [] : expect.arrayContaining([existing]));

      // No restart: the same operation works as soon as user_api is reachable again.
      const target = deleted ? await uploadReadySound(system, userId) : existing;
      expect((await perform(operation, target)).status).toBe(SUCCESS[operation]);
      await reapAndAudit(system);
    },
  );

  it('GET /ready names user_api while it is unreachable, and recovers', async () => {
    for (const fault of [FAULTS.refused, FAULTS.stalled, FAULTS.reset]) {
      await proxy.set(fault);
      const started = performance.now();
      const response = await fetch(`${system.url}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        checks: { userApi: 'unavailable', database: 'ok', fileStore: 'ok' },
      });
      expect(performance.now() - started).toBeLessThan(ANSWER_WITHIN_MS);
      await proxy.set({ mode: 'pass' });
      expect((await fetch(`${system.url}/ready`)).status).toBe(200);
    }
  });
});

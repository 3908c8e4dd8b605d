import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import {
  emptySystem,
  type Outcome,
  SUCCESS as SOUND_SUCCESS,
  type Operation as SoundOperation,
  timed,
  userActions,
} from './helpers/fault-operations.ts';
import type { Fault } from './helpers/fault-proxy.ts';
import {
  backendTimeouts,
  expectAnswerThenRecovery,
  expectReadinessFollows,
  type FaultySystem,
  outcomeLog,
  startFaultySystem,
} from './helpers/faulty-system.ts';
import type { TestSystem } from './helpers/system.ts';

/**
 * user_api behind a fault proxy: refused, slow, stalled, reset at once or midway. The open
 * routes (listing, playback) never need it; every route that checks X-User-Id answers 503
 * USER_API_UNAVAILABLE (never 401: the user may well exist) within a few backend timeouts,
 * and works again, without a restart, once user_api is reachable.
 */

const TIMEOUT_MS = 500;
// Far from a hang, yet generous: undici checks its timeouts on a coarse clock.
const ANSWER_WITHIN_MS = 5_000;

let faulty: FaultySystem;
let system: TestSystem;
let userId: number;
beforeAll(async () => {
  faulty = await startFaultySystem('user_api', {
    ...backendTimeouts(TIMEOUT_MS),
  });
  ({ system } = faulty);
  userId = await system.createUser();
});
afterAll(() => faulty?.close());
beforeEach(() => emptySystem(system));
afterEach(() => faulty.proxy.set({ mode: 'pass' }));

const FAULTS = {
  refused: { mode: 'refuse' },
  slow: { mode: 'latency', ms: 100 },
  stalled: { mode: 'stall' },
  reset: { mode: 'reset' },
  // The request gets partly through, then the connection is reset.
  'reset midway': { mode: 'reset', afterBytes: 40 },
} satisfies Record<string, Fault>;

/** The operations of every fault test, and two more that need user_api. */
type Operation = SoundOperation | 'who am I' | 'register';
const SUCCESS: Record<Operation, number> = { ...SOUND_SUCCESS, 'who am I': 200, register: 201 };
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

const record = outcomeLog();

let nextNewUserId = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);

function perform(operation: Operation, soundId: string): Promise<Outcome> {
  if (operation === 'who am I') {
    return timed(() => fetch(`${system.url}/me`, { headers: { 'x-user-id': String(userId) } }));
  }
  if (operation !== 'register') return userActions(system, userId).perform(operation, soundId);
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
      const outcome = await expectAnswerThenRecovery({
        faulty,
        userId,
        fault: FAULTS[fault],
        operation,
        perform,
        answer,
        success: SUCCESS[operation],
        withinMs: ANSWER_WITHIN_MS,
      });
      record(`user_api ${fault} ${operation}: ${JSON.stringify(outcome)}`);
    },
  );

  it('GET /ready names user_api while it is unreachable, and recovers', async () => {
    await expectReadinessFollows(
      faulty,
      'user_api',
      [FAULTS.refused, FAULTS.stalled, FAULTS.reset],
      ANSWER_WITHIN_MS,
    );
  });
});

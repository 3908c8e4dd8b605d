import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from '../src/db/orm.ts';
import { soundsTable } from '../src/db/schema.ts';
import { isDatabaseUnavailable } from '../src/db/unavailable.ts';
import { expectConsistent } from './helpers/audit.ts';
import {
  emptySystem,
  listedIds,
  type Operation,
  type Outcome,
  reapAndAudit,
  SUCCESS,
  uploadReadySound,
  userActions,
} from './helpers/fault-operations.ts';
import type { Fault, FaultProxy } from './helpers/fault-proxy.ts';
import {
  expectAnswerThenRecovery,
  expectReadinessFollows,
  type FaultySystem,
  outcomeLog,
  startFaultySystem,
} from './helpers/faulty-system.ts';
import { streamWavUpload } from './helpers/streamed-upload.ts';
import type { TestSystem } from './helpers/system.ts';
import { sleep, waitUntil } from './helpers/wait.ts';

/**
 * Postgres behind a fault proxy (TEST_DATABASE_URL's server, or PGlite served over the wire):
 * refused, too slow, stalled, reset. Every operation that needs the database answers 503
 * DATABASE_UNAVAILABLE within DATABASE_TIMEOUT_MS or so (never a 500, never a hang), the API
 * reconnects on its own once the database is back, and the audit comes out clean.
 */

const TIMEOUT_MS = 500;
// Far from a hang, yet generous: a failed upload waits out the database twice (the failed
// query, then the cleanup's).
const ANSWER_WITHIN_MS = 5_000;

/** The system with its database behind the proxy, reaching it under DATABASE_TIMEOUT_MS. */
function startDatabaseFaults(env: Record<string, string>): Promise<FaultySystem> {
  return startFaultySystem('database', { DATABASE_TIMEOUT_MS: String(TIMEOUT_MS), ...env });
}

let faulty: FaultySystem;
let system: TestSystem;
let proxy: FaultProxy;
let userId: number;
beforeAll(async () => {
  faulty = await startDatabaseFaults({ REAPER_STALE_AFTER_MS: '1000' });
  ({ system, proxy } = faulty);
  userId = await system.createUser();
});
afterAll(() => faulty?.close());
beforeEach(() => emptySystem(system));
afterEach(() => proxy.set({ mode: 'pass' }));

const FAULTS = {
  refused: { mode: 'refuse' },
  // Slower than usual, well within the deadline: everything works.
  slow: { mode: 'latency', ms: 20 },
  // Slower than the deadline: as good as down.
  'slower than the deadline': { mode: 'latency', ms: 3 * TIMEOUT_MS },
  stalled: { mode: 'stall' },
  reset: { mode: 'reset' },
} satisfies Record<string, Fault>;

const UNAVAILABLE = { status: 503, code: 'DATABASE_UNAVAILABLE' };

const CASES = (Object.keys(FAULTS) as Array<keyof typeof FAULTS>).flatMap((fault) =>
  (Object.keys(SUCCESS) as Operation[]).map((operation) => {
    const answer: Partial<Outcome> =
      fault === 'slow' ? { status: SUCCESS[operation] } : UNAVAILABLE;
    return {
      fault,
      operation,
      answer,
      expected: [answer.status, answer.code].filter(Boolean).join(' '),
    };
  }),
);

const record = outcomeLog();

describe('database faults', () => {
  it.each(CASES)(
    'database $fault: $operation answers $expected, then recovers',
    async ({ fault, operation, answer }) => {
      const outcome = await expectAnswerThenRecovery({
        faulty,
        userId,
        fault: FAULTS[fault],
        operation,
        perform: userActions(system, userId).perform,
        answer,
        success: SUCCESS[operation],
        withinMs: ANSWER_WITHIN_MS,
      });
      record(`database ${fault} ${operation}: ${JSON.stringify(outcome)}`);
    },
  );

  it('the database lost midway through an upload: 503, nothing listed; reaped clean', async () => {
    let cut = false;
    const upload = streamWavUpload(system.url, {
      userId,
      dataBytes: 8 * 1024 * 1024,
      beforeChunk: async (sent) => {
        if (sent < 1024 * 1024 || cut) return;
        // The row is in (`uploading`), the bytes are on their way to file_store.
        await waitUntil('the upload row', async () => {
          const [row] = await system.api.db.select().from(soundsTable);
          return row?.status === 'uploading';
        });
        await proxy.set({ mode: 'refuse' });
        cut = true;
      },
    });
    const response = await upload.response;
    record(`database refused midway upload: ${response.status}`);
    expect(upload.hookError()).toBeUndefined();
    expect(cut).toBe(true);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });

    await proxy.set({ mode: 'pass' });
    // The cleanup removed the file; the row it could not delete stays `uploading`, unlisted.
    expect(await listedIds(system)).toEqual([]);
    await reapAndAudit(system);
  });

  it('GET /ready names the database while it is unreachable, and recovers', async () => {
    await expectReadinessFollows(
      faulty,
      'database',
      [FAULTS.refused, FAULTS.stalled, FAULTS.reset],
      ANSWER_WITHIN_MS,
    );
  });

  it('connections the database dropped while idle are replaced on the next request', async () => {
    const soundId = await uploadReadySound(system, userId);
    const before = proxy.acceptedConnections();
    proxy.resetConnections();
    // Idle: the API notices the resets before the next request comes.
    await sleep(50);
    const response = await fetch(`${system.url}/sounds/${soundId}`);
    expect(response.status).toBe(200);
    expect(proxy.acceptedConnections()).toBeGreaterThan(before);
    await expectConsistent(system);
  });

  it('a wrong query is still a bug (500), never blamed on the database being away', async () => {
    const wrong = await system.api.db.execute(sql`select * from no_such_table`).catch((e) => e);
    expect(isDatabaseUnavailable(wrong)).toBe(false);
    await proxy.set({ mode: 'refuse' });
    const refused = await system.api.db.execute(sql`select 1`).catch((e) => e);
    expect(isDatabaseUnavailable(refused)).toBe(true);
    await proxy.set({ mode: 'pass' });
    expect((await fetch(`${system.url}/ready`)).status).toBe(200);
  });

  it('an idle connection outlives the deadline: only an answer that is due is timed', async () => {
    expect((await fetch(`${system.url}/ready`)).status).toBe(200);
    const accepted = proxy.acceptedConnections();
    await sleep(3 * TIMEOUT_MS);
    expect((await fetch(`${system.url}/ready`)).status).toBe(200);
    // The same connection answered: the watchdog left it alone while it was idle.
    expect(proxy.acceptedConnections()).toBe(accepted);
  });
});

describe('the database dying after committing the publish, before answering it', () => {
  // A system of its own, whose uploads send no heartbeat (an UPDATE too) while the test runs.
  let own: FaultySystem;
  beforeAll(async () => {
    own = await startDatabaseFaults({ REAPER_STALE_AFTER_MS: '600000' });
  });
  afterAll(() => own?.close());

  it('answers 503 and leaves the file alone: the sound is listed, whole', async () => {
    const { system, proxy } = own;
    const uploader = await system.createUser();
    let crashed = false;
    const upload = streamWavUpload(system.url, {
      userId: uploader,
      dataBytes: 256 * 1024,
      // Every byte of the file is on its way, the multipart epilogue (which lets the API
      // publish) not yet. The publish (one statement: update the row and insert its processing
      // job, then select it) is the only statement then (no heartbeat runs here).
      beforeChunk: async (sent) => {
        if (crashed || sent < 44 + 256 * 1024) return;
        await waitUntil('the upload row', async () => {
          const [row] = await system.api.db.select().from(soundsTable);
          return row?.status === 'uploading';
        });
        await proxy.set({
          mode: 'crash-before-reply',
          // The reply carrying the publish's CommandComplete: it has committed.
          matches: (reply) => reply.includes('SELECT 1'),
        });
        crashed = true;
      },
    });
    const response = await upload.response;
    record(`database crashed before answering the publish: ${response.status}`);
    expect(upload.hookError()).toBeUndefined();
    expect(crashed).toBe(true);
    // The API cannot know whether the publish committed: it says it failed, and keeps the file.
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });

    await proxy.set({ mode: 'pass' });
    // It had committed: the sound is listed, and its file is whole.
    const [listed] = await listedIds(system);
    expect(listed).toBeDefined();
    const played = await fetch(`${system.url}/sounds/${listed}/audio`);
    expect(played.status).toBe(200);
    expect((await played.arrayBuffer()).byteLength).toBe(44 + 256 * 1024);
    await reapAndAudit(system);
  });
});

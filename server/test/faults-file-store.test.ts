import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
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
  backendTimeouts,
  expectAnswerThenRecovery,
  expectReadinessFollows,
  type FaultySystem,
  outcomeLog,
  startFaultySystem,
} from './helpers/faulty-system.ts';
import { streamWavUpload } from './helpers/streamed-upload.ts';
import type { TestSystem } from './helpers/system.ts';

/**
 * file_store behind a fault proxy: refused, slow, stalled, reset. Listing never needs it;
 * uploads and playback answer 503 STORAGE_UNAVAILABLE; deletes answer 204 by design (the row
 * stays `deleting` and the reaper finishes it). Every answer comes within a few backend
 * timeouts, the API recovers on its own once file_store is reachable again, and the audit
 * finds no listed sound without its file and no file without its row.
 * (file_store stopped outright is consistency.test.ts's.)
 */

const TIMEOUT_MS = 500;
// Far from a hang, yet generous: an upload under a stall waits out two timeouts (the store,
// then the cleanup), and undici checks its timeouts on a coarse clock (up to a second late).
const ANSWER_WITHIN_MS = 5_000;

let faulty: FaultySystem;
let system: TestSystem;
let proxy: FaultProxy;
let userId: number;
beforeAll(async () => {
  faulty = await startFaultySystem('file_store', {
    ...backendTimeouts(TIMEOUT_MS),
    REAPER_STALE_AFTER_MS: '1000',
  });
  ({ system, proxy } = faulty);
  userId = await system.createUser();
});
afterAll(() => faulty?.close());
beforeEach(() => emptySystem(system));
// A failed test must not leave the next one behind a fault.
afterEach(() => proxy.set({ mode: 'pass' }));

const FAULTS = {
  refused: { mode: 'refuse' },
  slow: { mode: 'latency', ms: 100 },
  stalled: { mode: 'stall' },
  reset: { mode: 'reset' },
} satisfies Record<string, Fault>;

const UNAVAILABLE = { status: 503, code: 'STORAGE_UNAVAILABLE' };

const CASES = (Object.keys(FAULTS) as Array<keyof typeof FAULTS>).flatMap((fault) => {
  const down = fault !== 'slow';
  const answers: Record<Operation, Partial<Outcome>> = {
    list: { status: 200 },
    upload: down ? UNAVAILABLE : { status: 201 },
    playback: down ? UNAVAILABLE : { status: 200 },
    // By design: the sound is gone for good at once; the reaper deletes its file later.
    delete: { status: 204 },
  };
  return Object.entries(answers).map(([operation, answer]) => ({
    fault,
    operation: operation as Operation,
    answer,
    expected: [answer.status, answer.code].filter(Boolean).join(' '),
  }));
});

const record = outcomeLog();

describe('file_store faults', () => {
  it.each(CASES)(
    'file_store $fault: $operation answers $expected, then recovers',
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
      record(`file_store ${fault} ${operation}: ${JSON.stringify(outcome)}`);
    },
  );

  it('a connection reset midway through an upload: 503, and neither file nor row is left', async () => {
    await proxy.set({ mode: 'reset', afterBytes: 256 * 1024 });
    const outcome = await userActions(system, userId).upload(wavTone({ seconds: 60 }));
    record(`file_store reset-midway upload: ${JSON.stringify(outcome)}`);
    expect(outcome).toMatchObject(UNAVAILABLE);
    // The cleanup's DELETE, on a fresh connection, got through: nothing is left to reap.
    await proxy.set({ mode: 'pass' });
    expect(await listedIds(system)).toEqual([]);
    await expectConsistent(system);
  });

  it('a stall midway through a streamed upload: 503 within the timeouts, nothing listed', async () => {
    let stalledAt: number | undefined;
    const upload = streamWavUpload(system.url, {
      userId,
      dataBytes: 32 * 1024 * 1024,
      beforeChunk: async (sent) => {
        if (sent >= 2 * 1024 * 1024 && stalledAt === undefined) {
          await proxy.set({ mode: 'stall' });
          stalledAt = performance.now();
        }
      },
    });
    const response = await upload.response;
    const waited = performance.now() - (stalledAt as number);
    record(`file_store stall-midway upload: ${response.status} after ${Math.round(waited)} ms`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(waited).toBeLessThan(ANSWER_WITHIN_MS);
    expect(await listedIds(system)).toEqual([]);

    await proxy.set({ mode: 'pass' });
    await reapAndAudit(system);
  });

  it('a connection reset midway through playback: the body is cut off, the API plays on', async () => {
    const soundId = await uploadReadySound(system, userId, wavTone({ seconds: 60 }));
    await proxy.set({ mode: 'reset', afterBytes: 256 * 1024 });
    const outcome = await userActions(system, userId).play(soundId);
    record(`file_store reset-midway playback: ${JSON.stringify(outcome)}`);
    // The headers (200) were sent before the reset: all the API can do is cut the body short.
    expect(outcome).toMatchObject({ status: 0, failure: expect.stringContaining('body cut off') });

    await proxy.set({ mode: 'pass' });
    expect((await userActions(system, userId).play(soundId)).status).toBe(200);
    await expectConsistent(system);
  });

  it('a stall midway through playback: the body is cut off after the body timeout', async () => {
    const soundId = await uploadReadySound(system, userId, wavTone({ seconds: 600 }));
    const response = await fetch(`${system.url}/sounds/${soundId}/audio`);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await proxy.set({ mode: 'stall' });
    const stalledAt = performance.now();
    // What was already on its way still arrives; then the API gives up and cuts the body.
    const ending = await (async () => {
      try {
        while (!(await reader.read()).done) {}
        return 'complete';
      } catch {
        return 'cut off';
      }
    })();
    const waited = performance.now() - stalledAt;
    record(`file_store stall-midway playback: ${ending} after ${Math.round(waited)} ms`);
    expect(ending).toBe('cut off');
    expect(waited).toBeLessThan(ANSWER_WITHIN_MS);

    await proxy.set({ mode: 'pass' });
    expect((await userActions(system, userId).play(soundId)).status).toBe(200);
    await expectConsistent(system);
  });

  it('GET /ready names file_store while it is unreachable, and recovers', async () => {
    await expectReadinessFollows(
      faulty,
      'file_store',
      [FAULTS.refused, FAULTS.stalled, FAULTS.reset],
      ANSWER_WITHIN_MS,
    );
  });
});

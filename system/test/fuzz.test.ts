import { STATUS_CODES } from 'node:http';
import { wavTone } from '@cloud-sound/server/testing/audio';
import {
  type FuzzContext,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  requestsFor,
} from '@cloud-sound/server/testing/fuzz-requests';
import { json, uploadSound } from '@cloud-sound/server/testing/http';
import { type RawAnswer, type RawRequest, sendRaw } from '@cloud-sound/server/testing/raw-http';
import type { Program } from '@cloud-sound/system';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * Issue 6, fuzzing: requests generated from the API's own OpenAPI document (every operation;
 * odd path and query values, repeated parameters, odd X-User-Id and Range headers, JSON bodies
 * of the wrong shape, broken multipart, bodies shorter than announced) against the API as a
 * child process with every dependency up. No answer may be a 5xx (503 included), every 4xx
 * must carry the error shape, and afterwards the API must still be up, have logged no error,
 * stop cleanly and leave a clean audit. FUZZ_RUNS sets the requests per operation (default
 * 110); FUZZ_SEED replays a run (fast-check prints the seed of a failing one).
 */

const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 110);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

let system: TestSystem;
let api: Program<'api'>;
let context: FuzzContext;
let operations: Operation[];
const tally = {
  requests: 0,
  byStatus: new Map<string, number>(),
};
let startedAt = 0;

beforeAll(async () => {
  system = await startTestSystem({ api: { LOG_LEVEL: 'warn' } });
  api = system.api;
  const [userId, otherUserId] = [await system.createUser(), await system.createUser()];
  // Sounds of both users, so deletes meet their owner and strangers, and reads find audio.
  const soundIds: string[] = [];
  for (const owner of [userId, userId, otherUserId]) {
    const response = await uploadSound(api.url, {
      userId: owner,
      bytes: wavTone({ seconds: 0.2 }),
    });
    soundIds.push((await json<{ id: string }>(response)).id);
  }
  context = { userId, otherUserId, soundIds };
  const document = await json<OpenApiDocument>(await fetch(`${api.url}/openapi.json`));
  // Deletes last, so the reads before them still find the sounds above.
  operations = operationsOf(document).sort(
    (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'),
  );
  startedAt = performance.now();
});
afterAll(() => system?.close());

function describeExchange(request: RawRequest, answer: RawAnswer | undefined): string {
  const body = request.body ? `${request.body.length} body bytes` : 'no body';
  const reply = answer ? `${answer.status} ${answer.body.toString('utf8').slice(0, 300)}` : 'none';
  return `${request.method} ${request.target.slice(0, 200)} (${request.framing}, ${body}) → ${reply}`;
}

/** Sends one request and checks its answer against the contract. */
async function expectContractKept(request: RawRequest): Promise<void> {
  const answer = await sendRaw(api.port, request);
  tally.requests += 1;
  const exchange = describeExchange(request, answer);
  // A client that hung up mid-body, or whose stray body bytes broke the connection, may get
  // no answer; every other request gets one.
  const status = answer ? String(answer.status) : 'no answer';
  tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
  if (!answer) {
    expect(['short', 'none'], exchange).toContain(request.framing);
    return;
  }
  expect(answer.status, exchange).toBeLessThan(500);
  if (answer.status < 400 || request.method === 'HEAD') return;

  expect(answer.complete, exchange).toBe(true);
  const body = parseJson(answer.body);
  expect(body, exchange).toEqual({
    statusCode: answer.status,
    error: STATUS_CODES[answer.status],
    message: expect.any(String),
    code: expect.any(String),
  });
}

describe('requests generated from the OpenAPI document', () => {
  it('cover every operation the document lists', () => {
    const listed = operations.map((operation) => `${operation.method} ${operation.path}`);
    // The ones the contract names (DESIGN.md); any added later are fuzzed as well.
    expect(listed).toEqual(
      expect.arrayContaining([
        'DELETE /sounds/{id}',
        'GET /events',
        'GET /health',
        'GET /me',
        'GET /ready',
        'GET /sounds',
        'GET /sounds/{id}',
        'GET /sounds/{id}/audio',
        'POST /sounds',
        'POST /users',
      ]),
    );
  });

  it('never get a 5xx, and every 4xx has the error shape', async () => {
    for (const operation of operations) {
      await fc.assert(fc.asyncProperty(requestsFor(operation, context), expectContractKept), {
        numRuns: RUNS_PER_OPERATION,
        seed: SEED,
      });
    }
  }, 120_000);

  it('leave the API up, with no error logged, and nothing half-done behind', async () => {
    const seconds = (performance.now() - startedAt) / 1000;
    console.log(
      `fuzz: ${tally.requests} requests in ${seconds.toFixed(1)} s over ${operations.length} operations; ` +
        `statuses ${JSON.stringify(Object.fromEntries([...tally.byStatus].sort()))}`,
    );
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    expect((await fetch(`${api.url}/ready`)).status).toBe(200);
    const errors = api
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line) || /unhandled|uncaught/i.test(line));
    expect(errors).toEqual([]);
    expect((await api.kill('SIGTERM')).code).toBe(0);
    await system.expectConsistent();
  });
});

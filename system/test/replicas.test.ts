import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { wavTone } from '@cloud-sound/server/testing/audio';
import { json, uploadSound } from '@cloud-sound/server/testing/http';
import { exchange } from '@cloud-sound/server/testing/raw-connection';
import { streamWavUpload } from '@cloud-sound/server/testing/streamed-upload';
import { sleep, waitUntil } from '@cloud-sound/server/testing/wait';
import type { Program } from '@cloud-sound/system';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * Past one machine: three API replicas behind the launcher's nginx gateway, on one Postgres
 * and one file_store, with listing, uploading, deleting, playing and processing going on at
 * once, and one replica killed (SIGKILL) and started again in the middle. Every request carries
 * an X-Request-Id, which the replicas log as the request's id: a request that failed can be
 * traced to the replica that had it.
 */

const REPLICAS = 3;
/** Long: a write shows on the other replicas through the database's notice, not the TTL. */
const READ_CACHE_TTL_MS = 60_000;
/** How soon another replica's write shows (the notice, one poll, one request). */
const VISIBLE_WITHIN_MS = 100;
const LEASE_MS = 2_000;
const RUN_MS = 12_000;
const KILL_AT_MS = 4_000;
const DOWN_FOR_MS = 2_000;
/** Clients that ask for audio and never read it, and the addresses they come from. */
const SLOW_READERS = 200;
const SLOW_READER_ADDRESSES = 50;

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({
    apiReplicas: REPLICAS,
    api: {
      PROCESSING_CONCURRENCY: '1',
      PROCESSING_POLL_MS: '100',
      PROCESSING_LEASE_MS: String(LEASE_MS),
      PROCESSING_RETRY_DELAY_MS: '200',
      // What the killed replica leaves half-done is finished by the others within seconds.
      REAPER_STALE_AFTER_MS: '2000',
      REAPER_INTERVAL_MS: '500',
      READ_CACHE_TTL_MS: String(READ_CACHE_TTL_MS),
    },
  });
}, 120_000);
afterAll(() => system?.close());

/** One request through the gateway, as a client saw it. */
interface Outcome {
  requestId: string;
  what: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  code?: string;
  /** The connection broke (before or during the response). */
  error?: string;
}

/** A JSON log line of a replica, as pino writes it. */
type LogLine = Record<string, unknown>;

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The ids of the requests a replica's run received, and of those it finished. */
function requestIds(lines: LogLine[]): { received: Set<string>; finished: Set<string> } {
  const received = new Set<string>();
  const finished = new Set<string>();
  for (const line of lines) {
    if (line.msg === 'incoming request') received.add(String(line.reqId));
    if (line.msg === 'request completed') finished.add(String(line.reqId));
  }
  return { received, finished };
}

let nextRequest = 0;

/** Runs one request through the gateway to its last byte, and records how it went. */
async function traced(
  outcomes: Outcome[],
  what: string,
  send: (headers: Record<string, string>) => Promise<Response>,
): Promise<Response | undefined> {
  const requestId = `replicas-test-${++nextRequest}`;
  const outcome: Outcome = { requestId, what, startedAt: performance.now(), endedAt: 0 };
  outcomes.push(outcome);
  try {
    const response = await send({ 'x-request-id': requestId });
    const body = Buffer.from(await response.arrayBuffer());
    outcome.status = response.status;
    if (response.status >= 400) outcome.code = JSON.parse(body.toString()).code;
    outcome.endedAt = performance.now();
    // A body already read: callers get a response they can read again.
    return new Response(response.status === 204 ? null : body, response);
  } catch (error) {
    outcome.error = (error as Error).cause ? String((error as Error).cause) : String(error);
    outcome.endedAt = performance.now();
    return undefined;
  }
}

describe('three API replicas behind the gateway', () => {
  it('spreads requests over every replica, each logging the X-Request-Id it was given', async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 30; i++) {
      await traced(outcomes, 'list', (headers) =>
        fetch(`${system.apiUrl}/sounds?limit=5`, { headers }),
      );
    }
    expect(outcomes.every((outcome) => outcome.status === 200)).toBe(true);
    const finishedBy = () =>
      system.replicas.map((replica) => requestIds(logLines(replica.output())).finished);
    // A log line may arrive a moment after its response.
    await waitUntil('every request to be logged', () =>
      outcomes.every((outcome) => finishedBy().some((ids) => ids.has(outcome.requestId))),
    );
    const seenBy = finishedBy();
    for (const outcome of outcomes) {
      expect(seenBy.filter((ids) => ids.has(outcome.requestId))).toHaveLength(1);
    }
    for (const ids of seenBy) {
      expect([...ids].filter((id) => id.startsWith('replicas-test-')).length).toBeGreaterThan(2);
    }
  });

  it('loses nothing when one replica is killed and started again under load', async () => {
    const outcomes: Outcome[] = [];
    const uploaded: Array<{ id: string; userId: number }> = [];
    const deleted = new Set<string>();
    const started = performance.now();
    const running = () => performance.now() - started < RUN_MS;
    let nextUserId = 900_000_000 + Math.floor(Math.random() * 100_000_000);

    const uploader = async () => {
      while (running()) {
        const userId = ++nextUserId;
        const created = await traced(outcomes, 'register', (headers) =>
          fetch(`${system.apiUrl}/users`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({ id: userId }),
          }),
        );
        if (created?.status !== 201) continue;
        for (let i = 0; i < 3 && running(); i++) {
          const response = await traced(outcomes, 'upload', (headers) =>
            uploadSound(system.apiUrl, {
              userId,
              bytes: wavTone({ seconds: 2, frequency: 220 + i * 110 }),
              title: `replica test ${userId}/${i}`,
              headers,
            }),
          );
          if (response?.status === 201) {
            uploaded.push({ id: (await json<{ id: string }>(response)).id, userId });
          }
        }
      }
    };
    const lister = async () => {
      while (running()) {
        await traced(outcomes, 'list', (headers) =>
          fetch(`${system.apiUrl}/sounds?limit=20`, { headers }),
        );
        const sound = uploaded[Math.floor(Math.random() * uploaded.length)];
        if (!sound) continue;
        await traced(outcomes, 'get', (headers) =>
          fetch(`${system.apiUrl}/sounds/${sound.id}`, { headers }),
        );
        await traced(outcomes, 'play', (headers) =>
          fetch(`${system.apiUrl}/sounds/${sound.id}/audio`, { headers }),
        );
      }
    };
    const deleter = async () => {
      while (running()) {
        // A third of what was uploaded at most, however fast deletes are next to uploads
        // (each upload waits for ffprobe's verdict), so that most sounds are kept and processed.
        const sound =
          deleted.size < uploaded.length / 3
            ? uploaded.find(({ id }) => !deleted.has(id) && Math.random() < 0.3)
            : undefined;
        if (!sound) {
          await sleep(100);
          continue;
        }
        deleted.add(sound.id);
        await traced(outcomes, 'delete', (headers) =>
          fetch(`${system.apiUrl}/sounds/${sound.id}`, {
            method: 'DELETE',
            headers: { ...headers, 'x-user-id': String(sound.userId) },
          }),
        );
      }
    };
    const victim = system.replicas[1] as Program<'api'>;
    let killedAt = 0;
    let killedRunLog: LogLine[] = [];
    const killer = async () => {
      await sleep(KILL_AT_MS);
      killedAt = performance.now();
      await victim.kill('SIGKILL');
      killedRunLog = logLines(victim.output());
      await sleep(DOWN_FOR_MS);
      await victim.start();
    };

    await Promise.all([uploader(), uploader(), lister(), lister(), deleter(), killer()]);

    // Every replica took part, the restarted one included.
    expect(outcomes.length).toBeGreaterThan(200);
    const killedRun = requestIds(killedRunLog);
    expect(killedRun.received.size).toBeGreaterThan(0);
    for (const replica of system.replicas) {
      expect(requestIds(logLines(replica.output())).finished.size).toBeGreaterThan(0);
    }

    // No 5xx and no broken connection, except requests the killed replica had when it died.
    const everyReplicaRun = [killedRunLog, ...system.replicas.map((r) => logLines(r.output()))];
    const reachedAReplica = new Set(
      everyReplicaRun.flatMap((lines) => [...requestIds(lines).received]),
    );
    const failures = outcomes.filter(
      (outcome) => outcome.error !== undefined || (outcome.status ?? 0) >= 500,
    );
    const unexplained = failures.filter((failure) => {
      const cutOff =
        killedRun.received.has(failure.requestId) && !killedRun.finished.has(failure.requestId);
      // nginx had written it on a kept-alive connection to the replica as it died: it never
      // reached any process, and (not being safe to repeat) was answered by the gateway.
      const lostOnTheWire =
        failure.code === 'API_UNAVAILABLE' &&
        !reachedAReplica.has(failure.requestId) &&
        failure.startedAt <= killedAt + 1_000 &&
        failure.endedAt >= killedAt;
      return !(cutOff || lostOnTheWire);
    });
    expect(unexplained).toEqual([]);
    const inFlightAtKill = [...killedRun.received].filter((id) => !killedRun.finished.has(id));
    expect(failures.length).toBeLessThanOrEqual(inFlightAtKill.length + 2);

    // Every sound kept is processed, each exactly once, and no job's lease was held twice.
    const kept = uploaded.filter(({ id }) => !deleted.has(id));
    expect(kept.length).toBeGreaterThan(5);
    await waitUntil(
      'every kept sound to be processed',
      async () => {
        for (const { id } of kept) {
          const sound = await json<{ processing: string }>(
            await fetch(`${system.apiUrl}/sounds/${id}`),
          );
          if (sound.processing !== 'ready') return false;
        }
        return true;
      },
      60_000,
    );
    // A replica forgets its cached reads as soon as a job's result commits (the database's
    // notice), which can be before the processing replica's log line has come through its pipe.
    const logsNow = () =>
      [killedRunLog, ...system.replicas.map((r) => logLines(r.output()))].flat();
    await waitUntil(
      "every kept sound's processing to be logged",
      () => {
        const logged = new Set(
          logsNow()
            .filter((line) => line.msg === 'sound processed')
            .map((line) => String(line.soundId)),
        );
        return kept.every(({ id }) => logged.has(id));
      },
      10_000,
    ).catch(() => {});
    const allLines = logsNow();
    const processed = new Map<string, number>();
    const attempts = new Set<string>();
    for (const line of allLines) {
      if (line.msg === 'sound processed') {
        processed.set(String(line.soundId), (processed.get(String(line.soundId)) ?? 0) + 1);
      }
      if (line.msg === 'processing a sound') {
        const attempt = `${line.soundId}#${line.attempt}`;
        expect(attempts.has(attempt), `attempt ${attempt} claimed twice`).toBe(false);
        attempts.add(attempt);
      }
    }
    for (const { id } of kept) expect(processed.get(id), `sound ${id}`).toBe(1);
    for (const count of processed.values()) expect(count).toBe(1);

    // What the killed replica left half-done is finished by the others; then all is consistent.
    await waitUntil(
      'the reaper to finish what the killed replica left',
      async () => (await system.readSounds()).every((row) => row.status === 'ready'),
      30_000,
    );
    await system.expectConsistent();
    console.info(
      `replicas: ${outcomes.length} requests, ${failures.length} failed, all of them in flight on the killed replica (${inFlightAtKill.length} were); ${kept.length} sounds kept, each processed once`,
    );
  }, 120_000);

  it(`shows a write on one replica on every other within ${VISIBLE_WITHIN_MS} ms, long before the TTL`, async () => {
    const userId = await system.createUser();
    const lags: number[] = [];
    /** Polls `replica` until `check` holds on what it answers; the time that took. */
    const timeUntil = async (
      replica: Program<'api'>,
      path: string,
      check: (response: Response) => Promise<boolean>,
    ) => {
      const from = performance.now();
      while (!(await check(await fetch(`${replica.url}${path}`)))) {
        if (performance.now() - from > 10_000)
          throw new Error(`${replica.logName} never caught up`);
        await sleep(10);
      }
      return performance.now() - from;
    };
    const lists = (id: string) => async (response: Response) =>
      (await json<{ items: Array<{ id: string }> }>(response)).items.some((item) => item.id === id);

    for (const [index, writer] of system.replicas.entries()) {
      const readers = system.replicas.filter((replica) => replica !== writer);
      // The readers' caches hold the first page from before the write.
      await Promise.all(
        readers.map((reader) =>
          fetch(`${reader.url}/sounds?limit=20`).then((r) => r.arrayBuffer()),
        ),
      );
      const response = await uploadSound(writer.url, {
        userId,
        bytes: wavTone(),
        title: `seen everywhere ${index}`,
      });
      expect(response.status).toBe(201);
      const { id } = await json<{ id: string }>(response);
      // The writer's own list shows it at once.
      expect(await lists(id)(await fetch(`${writer.url}/sounds?limit=20`))).toBe(true);
      lags.push(
        ...(await Promise.all(
          readers.map((reader) => timeUntil(reader, '/sounds?limit=20', lists(id))),
        )),
      );

      await Promise.all(
        readers.map((reader) => fetch(`${reader.url}/sounds/${id}`).then((r) => r.arrayBuffer())),
      );
      const removed = await fetch(`${writer.url}/sounds/${id}`, {
        method: 'DELETE',
        headers: { 'x-user-id': String(userId) },
      });
      expect(removed.status).toBe(204);
      expect((await fetch(`${writer.url}/sounds/${id}`)).status).toBe(404);
      lags.push(
        ...(await Promise.all(
          readers.map((reader) =>
            timeUntil(reader, `/sounds/${id}`, async (r) => {
              await r.arrayBuffer();
              return r.status === 404;
            }),
          ),
        )),
      );
    }
    const sorted = [...lags].sort((a, b) => a - b);
    console.info(
      `replicas: a write seen on the other replicas after ${sorted.map((lag) => Math.round(lag)).join(', ')} ms (READ_CACHE_TTL_MS ${READ_CACHE_TTL_MS})`,
    );
    // The database's notice on commit, one poll and one request: not the TTL.
    expect(sorted.at(-1)).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
  });
});

describe('the gateway', () => {
  /** POST /sounds requests the replicas have logged so far. */
  const uploadsLogged = () =>
    system.replicas
      .flatMap((replica) => logLines(replica.output()))
      .filter((line) => line.msg === 'incoming request' && /"POST"/.test(JSON.stringify(line.req)))
      .length;

  it('streams an upload to a replica as it arrives, without holding the body first', async () => {
    const userId = await system.createUser();
    const before = uploadsLogged();
    let checked = false;
    const upload = streamWavUpload(system.apiUrl, {
      userId,
      dataBytes: 24 * 1024 * 1024,
      async beforeChunk(sent) {
        // A quarter in: a replica has the request already (a buffering proxy would wait for
        // the last byte before passing it on).
        if (!checked && sent >= 6 * 1024 * 1024) {
          checked = true;
          await waitUntil('a replica to receive the upload', () => uploadsLogged() > before, 5_000);
        }
      },
    });
    const response = await upload.response;
    expect(upload.hookError()).toBeUndefined();
    expect(checked).toBe(true);
    expect(response.status).toBe(201);
  });

  it('answers what it refuses itself in the API’s error shape', async () => {
    const { reply } = await exchange(system.apiUrl, 'NOT HTTP AT ALL\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 400,
      code: 'MALFORMED_REQUEST',
    });
  });

  it('is the only client whose X-Forwarded-For the replicas believe', async () => {
    /** GET /health from `localAddress`, claiming to be 203.0.113.7; the address logged for it. */
    const loggedAddress = async (baseUrl: string, localAddress: string, requestId: string) => {
      const { hostname, port } = new URL(baseUrl);
      const headers = { 'x-forwarded-for': '203.0.113.7', 'x-request-id': requestId };
      await new Promise<void>((resolve, reject) => {
        const request = httpRequest(
          { host: hostname, port, localAddress, path: '/health', headers, agent: false },
          (response) => response.resume().on('end', resolve),
        );
        request.on('error', reject).end();
      });
      const logged = () =>
        system.replicas
          .flatMap((replica) => logLines(replica.output()))
          .find((line) => line.msg === 'incoming request' && line.reqId === requestId);
      await waitUntil(`the replica's log of ${requestId}`, () => logged() !== undefined, 5_000);
      return (logged()?.req as { remoteAddress?: string } | undefined)?.remoteAddress;
    };
    const replica = system.replicas[0]?.url ?? '';
    // Another program on this machine, straight to a replica: counted as itself.
    expect(await loggedAddress(replica, '127.0.0.1', `xff-direct-${nextRequest++}`)).toBe(
      '127.0.0.1',
    );
    // A client through the gateway: counted as the address the gateway saw, not the one it wrote.
    expect(await loggedAddress(system.apiUrl, '127.0.0.3', `xff-gateway-${nextRequest++}`)).toBe(
      '127.0.0.3',
    );
  });

  it('moves audio itself: 200 clients that never read starve nobody else', async () => {
    const userId = await system.createUser();
    // Bigger than what the sockets between a client and the gateway hold, so a client that
    // does not read leaves most of it unsent.
    const big = streamWavUpload(system.apiUrl, { userId, dataBytes: 12 * 1024 * 1024 });
    const bigSound = await json<{ id: string }>(await big.response);
    const small = wavTone();
    const smallSound = await json<{ id: string }>(
      await uploadSound(system.apiUrl, { userId, bytes: small }),
    );

    // 200 connections from 50 addresses, each asking for the big file and reading nothing.
    const { hostname, port } = new URL(system.apiUrl);
    const stalled: Socket[] = [];
    for (let index = 0; index < SLOW_READERS; index++) {
      const socket = connect({
        host: hostname,
        port: Number(port),
        localAddress: `127.0.1.${10 + (index % SLOW_READER_ADDRESSES)}`,
      });
      socket.on('error', () => {});
      socket.write(`GET /sounds/${bigSound.id}/audio HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      socket.pause();
      stalled.push(socket);
    }
    try {
      // Past the first burst (the gateway filling 200 connections' buffers, 100 MB from
      // file_store): clients that stay. In CI, 3 s left the first playback 2.5–5.1 s behind it.
      await sleep(6_000);
      // Meanwhile another client plays, uploads and lists, over and over: every answer comes.
      const answers: Array<{ what: string; status: number; ms: number }> = [];
      const timed = async (
        what: string,
        request: () => Promise<Response>,
        check?: (r: Response) => Promise<void>,
      ) => {
        const began = performance.now();
        const response = await request();
        if (check) await check(response);
        else await response.arrayBuffer();
        answers.push({ what, status: response.status, ms: performance.now() - began });
      };
      for (let round = 0; round < 10; round++) {
        await timed(
          'playback',
          () => fetch(`${system.apiUrl}/sounds/${smallSound.id}/audio`),
          async (response) => {
            expect(Buffer.from(await response.arrayBuffer()).equals(small)).toBe(true);
          },
        );
        await timed('listing', () => fetch(`${system.apiUrl}/sounds?limit=50`));
        await timed('upload', () => uploadSound(system.apiUrl, { userId, bytes: small }));
      }
      expect(answers.filter((answer) => answer.status >= 300)).toEqual([]);
      const slowest = Math.max(...answers.map((answer) => answer.ms));
      console.log(
        `[replicas] beside ${SLOW_READERS} stalled readers: ${answers.map((answer) => `${answer.what} ${answer.ms.toFixed(0)}`).join(', ')} ms`,
      );
      // Not a timing target (the bench measures that): a starved request would wait for the
      // API's queue timeout and then be refused.
      expect(slowest).toBeLessThan(5_000);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  }, 60_000);

  // Last: it stops every replica.
  it('answers 503 API_UNAVAILABLE with Retry-After while no replica is up', async () => {
    await Promise.all(system.replicas.map((replica) => replica.stop()));
    const response = await fetch(`${system.apiUrl}/sounds`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.any(String),
      code: 'API_UNAVAILABLE',
    });
  });
});

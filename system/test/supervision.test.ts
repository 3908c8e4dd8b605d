import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavTone } from '@cloud-sound/server/testing/audio';
import { createTestDatabase } from '@cloud-sound/server/testing/database';
import { json, uploadSound } from '@cloud-sound/server/testing/http';
import { sleep, waitUntil } from '@cloud-sound/server/testing/wait';
import { type Program, type RunningSystem, startSystem } from '@cloud-sound/system';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `pnpm start` supervises its programs (`supervise`): each program is killed in turn (SIGKILL,
 * as the kernel's OOM killer or a crash would) while a client keeps listing, playing and
 * uploading through the gateway. The program comes back by itself, the others never stop, and
 * the client's failed requests are those the dead program alone could have answered.
 */

let system: RunningSystem<'api' | 'file_store' | 'user_api'>;
let dataDir: string;
let dropDatabase: () => Promise<void>;
const notices: string[] = [];

beforeAll(async () => {
  const database = await createTestDatabase({ postgres: true });
  dropDatabase = () => database.drop();
  dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-supervision-'));
  system = await startSystem({
    dataDir,
    ports: 'free',
    databaseUrl: database.url,
    programs: ['user_api', 'file_store', 'api'],
    apiReplicas: 3,
    settings: {
      api: {
        PROCESSING_CONCURRENCY: '0',
        RATE_LIMIT_USER_CREATIONS: '1000000',
        RATE_LIMIT_UPLOADS: '1000000',
        CLIENT_MAX_UPLOADS: '1000000',
        CLIENT_MAX_PLAYBACKS: '1000000',
      },
    },
    environment: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
    supervise: { notice: (message) => notices.push(message) },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await dropDatabase?.();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Outcome {
  what: 'listing' | 'playback' | 'upload';
  ok: boolean;
}

/** A client going round listing, playing and uploading until `until` resolves. */
async function clientUntil(until: Promise<unknown>, userId: number, soundId: string) {
  const outcomes: Outcome[] = [];
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const apiUrl = system.apiUrl as string;
  const attempt = async (what: Outcome['what'], request: () => Promise<Response>) => {
    try {
      const response = await request();
      await response.arrayBuffer();
      outcomes.push({ what, ok: response.ok });
    } catch {
      outcomes.push({ what, ok: false });
    }
  };
  while (!done) {
    await attempt('listing', () => fetch(`${apiUrl}/sounds?limit=20`));
    await attempt('playback', () => fetch(`${apiUrl}/sounds/${soundId}/audio`));
    await attempt('upload', () => uploadSound(apiUrl, { userId, bytes: wavTone() }));
    await sleep(20);
  }
  return outcomes;
}

const failed = (outcomes: Outcome[], what: Outcome['what']) =>
  outcomes.filter((outcome) => outcome.what === what && !outcome.ok).length;

describe('a program that dies by itself', () => {
  let userId: number;
  let soundId: string;

  beforeAll(async () => {
    userId = 6_000_000 + Math.floor(Math.random() * 1_000_000);
    const created = await fetch(`${system.apiUrl}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: userId }),
    });
    expect(created.status).toBe(201);
    ({ id: soundId } = await json<{ id: string }>(
      await uploadSound(system.apiUrl as string, { userId, bytes: wavTone() }),
    ));
  });

  /** Kills `program` under load and waits until it is back; the client's outcomes meanwhile. */
  async function killUnderLoad(program: Program) {
    const before = notices.length;
    const back = (async () => {
      await sleep(500);
      program.process.kill('SIGKILL');
      await waitUntil(
        `${program.logName} to be started again`,
        () => notices.slice(before).some((notice) => notice.includes('is running again')),
        30_000,
      );
      // A moment of normal service after its return.
      await sleep(500);
    })();
    const outcomes = await clientUntil(back, userId, soundId);
    await back;
    return { outcomes, notices: notices.slice(before) };
  }

  it('an API replica: the gateway routes around it and it comes back', async () => {
    const replica = system.apiReplicas[1] as Program;
    const { outcomes, notices: said } = await killUnderLoad(replica);
    expect(said[0]).toMatch(/^api-2 exited by itself \(SIGKILL\); starting it again in /);
    expect(said).toContain('api-2 is running again');
    expect(replica.isRunning()).toBe(true);
    // Two replicas answered the whole time: at most what api-2 had in hand when it died.
    const failures = outcomes.filter((outcome) => !outcome.ok).length;
    console.log(`[supervision] api-2 killed: ${failures} of ${outcomes.length} requests failed`);
    expect(failures).toBeLessThanOrEqual(1);
  }, 60_000);

  it('user_api: listing and playback go on, uploads fail only while it is down', async () => {
    const { outcomes, notices: said } = await killUnderLoad(system.programs.user_api);
    expect(said).toContain('user_api is running again');
    console.log(
      `[supervision] user_api killed: ${failed(outcomes, 'upload')} of ${outcomes.length} requests failed (uploads)`,
    );
    expect(failed(outcomes, 'listing')).toBe(0);
    expect(failed(outcomes, 'playback')).toBe(0);
    // After its return, uploads work again.
    expect((await uploadSound(system.apiUrl as string, { userId, bytes: wavTone() })).status).toBe(
      201,
    );
  }, 60_000);

  it('file_store: listing goes on, playback and uploads fail only while it is down', async () => {
    const { outcomes, notices: said } = await killUnderLoad(system.programs.file_store);
    expect(said).toContain('file_store is running again');
    console.log(
      `[supervision] file_store killed: ${failed(outcomes, 'playback') + failed(outcomes, 'upload')} of ${outcomes.length} requests failed (playbacks and uploads)`,
    );
    expect(failed(outcomes, 'listing')).toBe(0);
    const played = await fetch(`${system.apiUrl}/sounds/${soundId}/audio`);
    expect(Buffer.from(await played.arrayBuffer()).equals(wavTone())).toBe(true);
  }, 60_000);

  it('is not started again once the system is stopping', async () => {
    const noticesBefore = notices.length;
    await system.stop();
    await sleep(1_500);
    expect(notices.slice(noticesBefore)).toEqual([]);
    for (const program of [...system.apiReplicas, system.programs.user_api]) {
      expect(program.isRunning()).toBe(false);
    }
  }, 60_000);
});

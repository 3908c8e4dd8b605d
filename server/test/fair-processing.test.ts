import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobOutcome } from '../src/processing/process-sound.ts';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { ffmpegAudio } from './helpers/media-files.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';
import { waitUntil } from './helpers/wait.ts';

/**
 * Issue 19: processing no one can hog. Jobs are claimed round robin across uploaders, so one
 * person's backlog delays another's sound by one job at most; a user may have only so many
 * sounds waiting, and only so many bytes stored.
 */

async function upload(system: TestSystem, userId: number, bytes: Buffer): Promise<string> {
  const response = await uploadSound(system.url, { userId, bytes, filename: 'sound.wav' });
  expect(response.status).toBe(201);
  return (await json<{ id: string }>(response)).id;
}

describe('a backlog of one uploader', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // One slot, so that every job waits for the one before it.
    system = await startSystem({ PROCESSING_CONCURRENCY: '1', PROCESSING_POLL_MS: '100' });
  });
  afterAll(() => system?.close());

  it("delays another uploader's sound by one job at most", async () => {
    const finished: Array<{ id: string; outcome: JobOutcome }> = [];
    system.api.processing.onOutcome((id, outcome) => finished.push({ id, outcome }));
    const [busy, other] = [await system.createUser(), await system.createUser()];
    // Ten jobs of a minute of noise each: seconds of work apiece.
    const minute = ffmpegAudio({
      format: 'wav',
      codec: 'pcm_s16le',
      seconds: 60,
      signal: 'noise',
      sampleRate: 22050,
    });
    const backlog: string[] = [];
    for (let i = 0; i < 10; i++) backlog.push(await upload(system, busy, minute));
    await waitUntil('the backlog to start', () => finished.length > 0 || backlogStarted(system));

    const short = await upload(system, other, wavTone({ seconds: 3 }));
    // Counted from its 201: the backlog's jobs that ended before it was processed.
    const endedBefore = finished.length;
    await waitUntil('the short sound', () => finished.some((job) => job.id === short), 60_000);
    const doneMeanwhile = finished
      .slice(
        endedBefore,
        finished.findIndex((job) => job.id === short),
      )
      .filter((job) => backlog.includes(job.id)).length;
    // The job running when it arrived finished first; no other of the backlog did.
    expect(doneMeanwhile).toBeLessThanOrEqual(1);
    expect(finished.find((job) => job.id === short)?.outcome).toBe('done');
  }, 120_000);
});

/** Whether a job is running (its lease taken). */
function backlogStarted(system: TestSystem): Promise<boolean> {
  return system.api.db
    .execute('select count(*) as n from processing_jobs where lease_token is not null')
    .then((result) => {
      const rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
      return Number((rows[0] as { n: number | string }).n) > 0;
    });
}

describe('quotas', () => {
  let system: TestSystem;
  const tone = wavTone({ seconds: 1 });
  beforeAll(async () => {
    // No processing here: every upload's job stays pending.
    system = await startSystem({
      USER_PENDING_SOUNDS: '2',
      USER_STORAGE_BYTES: String(3 * tone.length),
    });
  });
  afterAll(() => system?.close());

  it('answers 429 TOO_MANY_PENDING past the sounds one user may have waiting, storing nothing', async () => {
    const [userId, other] = [await system.createUser(), await system.createUser()];
    await upload(system, userId, tone);
    await upload(system, userId, tone);
    const before = await system.countStoredFiles();
    const refused = await uploadSound(system.url, { userId, bytes: tone });
    expect(refused.status).toBe(429);
    const body = await json<{ code: string; message: string }>(refused);
    expect(body).toMatchObject({ code: 'TOO_MANY_PENDING' });
    expect(body.message).toMatch(/2 of your sounds are waiting/);
    expect(await system.countStoredFiles()).toBe(before);
    // Someone else's uploads are theirs to count.
    await upload(system, other, tone);
  });

  it('answers 413 QUOTA_EXCEEDED past the storage one user may take, and GET /me tells the use', async () => {
    const userId = await system.createUser();
    const me = async () =>
      json<{ storage: { usedBytes: number; limitBytes: number } }>(
        await fetch(`${system.url}/me`, { headers: { 'x-user-id': String(userId) } }),
      );
    expect((await me()).storage).toEqual({ usedBytes: 0, limitBytes: 3 * tone.length });
    const first = await upload(system, userId, tone);
    expect((await me()).storage.usedBytes).toBe(tone.length);

    // Two tones' worth left: a file of three is over it.
    const before = await system.countStoredFiles();
    const large = wavTone({ seconds: 3 });
    const refused = await uploadSound(system.url, { userId, bytes: large });
    expect(refused.status).toBe(413);
    expect(await json(refused)).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await system.countStoredFiles()).toBe(before);

    // Deleting makes room again.
    const deleted = await fetch(`${system.url}/sounds/${first}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(userId) },
    });
    expect(deleted.status).toBe(204);
    expect((await me()).storage.usedBytes).toBe(0);
  });

  it('tells every client the quota in GET /limits', async () => {
    const limits = await json<{ quota: unknown }>(await fetch(`${system.url}/limits`));
    expect(limits.quota).toEqual({ storageBytes: 3 * tone.length, pendingSounds: 2 });
  });
});

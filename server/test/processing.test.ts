import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore, fileStoreLimits } from '../src/backends/file-store.ts';
import { backendTimeouts } from '../src/backends/http.ts';
import { loadConfig } from '../src/config.ts';
import { createMediaTool } from '../src/media/tool.ts';
import type { JobOutcome } from '../src/processing/process-sound.ts';
import { createProcessingRunner } from '../src/processing/runner.ts';
import { expectConsistent } from './helpers/audit.ts';
import { json, uploadSound } from './helpers/http.ts';
import { ffmpegAudio, ffmpegLavfi, ffprobe } from './helpers/media-files.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';
import { waitUntil } from './helpers/wait.ts';

/**
 * Issue 12: every accepted format processed by the real ffmpeg into an exact duration, a
 * waveform and a listening rendition; and what goes wrong — files that do not decode, files
 * over the budget, ffmpeg missing, a delete while a job runs, two runners racing for the same
 * jobs — leaves every sound listed and playable and nothing behind.
 */

interface SoundBody {
  id: string;
  durationMs: number | null;
  processing: 'pending' | 'ready' | 'failed';
  processingError: { code: string; message: string } | null;
  waveformUrl: string | null;
  streamUrl: string | null;
  loudness: { integratedLufs: number; truePeakDbtp: number } | null;
}

interface WaveformBody {
  version: number;
  channels: number;
  sample_rate: number;
  samples_per_pixel: number;
  bits: number;
  length: number;
  data: number[];
}

const PROCESSING = {
  PROCESSING_CONCURRENCY: '1',
  PROCESSING_POLL_MS: '100',
  PROCESSING_RETRY_DELAY_MS: '100',
};

async function upload(system: TestSystem, userId: number, bytes: Buffer, filename = 'sound') {
  const response = await uploadSound(system.url, { userId, bytes, filename });
  expect(response.status).toBe(201);
  return json<SoundBody>(response);
}

/** The sound once its processing has ended (ready or failed), as `viewer` sees it. */
async function processed(
  system: TestSystem,
  id: string,
  timeoutMs = 30_000,
  viewer?: number,
): Promise<SoundBody> {
  let sound: SoundBody | undefined;
  const headers = viewer === undefined ? {} : { 'x-user-id': String(viewer) };
  await waitUntil(
    `sound ${id} to be processed`,
    async () => {
      sound = await json<SoundBody>(await fetch(`${system.url}/sounds/${id}`, { headers }));
      return sound.processing !== 'pending';
    },
    timeoutMs,
  );
  return sound as SoundBody;
}

const local = (system: TestSystem, url: string | null) =>
  `${system.url}${new URL(url ?? '/none', 'http://x').pathname}`;

describe('every accepted format', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    system = await startSystem(PROCESSING);
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  const formats: Array<[string, () => Buffer]> = [
    ['WAV', () => ffmpegAudio({ format: 'wav', codec: 'pcm_s16le', seconds: 5, channels: 2 })],
    [
      'MP3 at 192 kbit/s',
      () => ffmpegAudio({ format: 'mp3', codec: 'libmp3lame', seconds: 5, args: ['-b:a', '192k'] }),
    ],
    ['Ogg Vorbis', () => ffmpegAudio({ format: 'ogg', codec: 'libvorbis', seconds: 5 })],
    [
      'Opus',
      () => ffmpegAudio({ format: 'opus', codec: 'libopus', seconds: 5, sampleRate: 48000 }),
    ],
    ['FLAC', () => ffmpegAudio({ format: 'flac', codec: 'flac', seconds: 5 })],
    ['M4A (AAC)', () => ffmpegAudio({ format: 'ipod', codec: 'aac', seconds: 5 })],
    [
      'WebM (Opus)',
      () => ffmpegAudio({ format: 'webm', codec: 'libopus', seconds: 5, sampleRate: 48000 }),
    ],
    ['AIFF', () => ffmpegAudio({ format: 'aiff', codec: 'pcm_s16be', seconds: 5 })],
  ];

  it.each(formats)(
    'turns %s into its exact length, a waveform and an MP3 rendition',
    async (_name, make) => {
      const sound = await processed(system, (await upload(system, userId, make())).id);
      expect(sound).toMatchObject({ processing: 'ready', processingError: null });
      // Five seconds, counted in decoded samples (encoders pad a few milliseconds).
      expect(sound.durationMs).toBeGreaterThanOrEqual(4990);
      expect(sound.durationMs).toBeLessThanOrEqual(5060);

      const waveform = await json<WaveformBody>(await fetch(local(system, sound.waveformUrl)));
      expect(waveform).toMatchObject({ version: 2, channels: 1, bits: 8 });
      expect(waveform.length).toBeGreaterThanOrEqual(1000);
      expect(waveform.length).toBeLessThanOrEqual(2000);
      expect(waveform.data).toHaveLength(2 * waveform.length);
      expect(waveform.length * waveform.samples_per_pixel).toBeGreaterThanOrEqual(
        (waveform.sample_rate * (sound.durationMs as number)) / 1000 - waveform.samples_per_pixel,
      );
      // A tone (ffmpeg's sine is at an eighth of full scale), not silence.
      expect(Math.max(...waveform.data)).toBeGreaterThan(8);

      const stream = await fetch(local(system, sound.streamUrl));
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toBe('audio/mpeg');
      const probe = ffprobe(Buffer.from(await stream.arrayBuffer()));
      expect(probe.codec).toBe('mp3');
      expect(probe.seconds).toBeCloseTo(5, 0);
    },
  );

  it('measures loudness as ffmpeg measures the original, in the same pass', async () => {
    const bytes = ffmpegAudio({ format: 'flac', codec: 'flac', seconds: 4, signal: 'noise' });
    const sound = await processed(system, (await upload(system, userId, bytes)).id);
    const reference = measureLoudness(bytes);
    expect(sound.loudness?.integratedLufs).toBeCloseTo(reference.integratedLufs, 1);
    expect(sound.loudness?.truePeakDbtp).toBeCloseTo(reference.truePeakDbtp, 1);
  });

  it('has no loudness for silence, which has none to level', async () => {
    const silence = ffmpegLavfi('anullsrc=r=44100:cl=stereo', ['-t', '2', '-f', 'wav']);
    const sound = await processed(system, (await upload(system, userId, silence)).id);
    expect(sound).toMatchObject({ processing: 'ready', loudness: null });
  });

  it('transcodes an MPEG Layer II file named .mp3, which few browsers play', async () => {
    const layer2 = ffmpegAudio({ format: 'mp2', codec: 'mp2', seconds: 3, args: ['-b:a', '96k'] });
    const { id, contentType } = await json<SoundBody & { contentType: string }>(
      await uploadSound(system.url, { userId, bytes: layer2, filename: 'broadcast.mp3' }),
    );
    expect(contentType).toBe('audio/mpeg');
    const sound = await processed(system, id);
    const stream = Buffer.from(await (await fetch(local(system, sound.streamUrl))).arrayBuffer());
    expect(stream.equals(layer2)).toBe(false);
    expect(ffprobe(stream).codec).toBe('mp3');
  });

  it('serves an MP3 at or below 128 kbit/s as its own rendition', async () => {
    const original = ffmpegAudio({
      format: 'mp3',
      codec: 'libmp3lame',
      seconds: 3,
      args: ['-b:a', '96k'],
    });
    const sound = await processed(system, (await upload(system, userId, original)).id);
    expect(sound.processing).toBe('ready');
    const stream = Buffer.from(await (await fetch(local(system, sound.streamUrl))).arrayBuffer());
    expect(stream.equals(original)).toBe(true);
  });

  it('answers the rendition with Range, and the waveform as a file that never changes', async () => {
    const bytes = ffmpegAudio({ format: 'wav', codec: 'pcm_s16le', seconds: 2 });
    const sound = await processed(system, (await upload(system, userId, bytes)).id);
    const range = await fetch(local(system, sound.streamUrl), { headers: { range: 'bytes=0-99' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    const waveform = await fetch(local(system, sound.waveformUrl));
    expect(waveform.headers.get('content-type')).toMatch(/^application\/json/);
    expect(waveform.headers.get('cache-control')).toContain('immutable');
    const etag = waveform.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(local(system, sound.waveformUrl), {
      headers: { 'if-none-match': etag as string },
    });
    expect(again.status).toBe(304);
  });

  it('leaves a consistent system: every file accounted for', async () => {
    await expectConsistent(system);
  });
});

describe('what listeners see', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    // A read cache that would keep a `pending` sound for a minute.
    system = await startSystem({ ...PROCESSING, READ_CACHE_TTL_MS: '60000' });
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  it('shows a sound ready as soon as its job is done here, whatever the read cache holds', async () => {
    const done = new Promise<string>((resolve) => {
      const stop = system.api.processing.onOutcome((soundId, outcome) => {
        if (outcome === 'done') {
          stop();
          resolve(soundId);
        }
      });
    });
    const { id } = await upload(
      system,
      userId,
      ffmpegAudio({ format: 'wav', codec: 'pcm_s16le', seconds: 2 }),
    );
    // Asked (and remembered) while still pending, most likely; either way, once done:
    await fetch(`${system.url}/sounds/${id}`).then((response) => response.arrayBuffer());
    expect(await done).toBe(id);
    const sound = await json<SoundBody>(await fetch(`${system.url}/sounds/${id}`));
    expect(sound.processing).toBe('ready');
    const page = await json<{ items: SoundBody[] }>(await fetch(`${system.url}/sounds`));
    expect(page.items.find((item) => item.id === id)?.processing).toBe('ready');
  });

  it('runs ffmpeg at a lower CPU priority than the API', async () => {
    const ffmpeg = createMediaTool('ffmpeg', { timeoutMs: 30_000, cpuSeconds: 30, memoryMb: 1024 });
    // Three seconds of a tone, read at its own pace (-re): time to look at the process.
    const run = await ffmpeg.run([
      '-nostdin',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=3',
      '-f',
      'null',
      '-',
    ]);
    try {
      let nice: number | undefined;
      await waitUntil('ffmpeg to run', () => {
        nice = childNiceness(process.pid, 'ffmpeg');
        return nice !== undefined;
      });
      expect(nice).toBe(19);
    } finally {
      run.kill();
      await run.finished;
    }
  });
});

/** The nice value of this process's child named `name`, if one runs. */
function childNiceness(parent: number, name: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state, ppid, …; the nice value is the 17th.
    if (command === name && Number(fields[1]) === parent) return Number(fields[16]);
  }
  return undefined;
}

async function expectFailedButPlayable(
  system: TestSystem,
  userId: number,
  id: string,
  code: string,
): Promise<void> {
  const sound = await processed(system, id, 30_000, userId);
  expect(sound.processing).toBe('failed');
  expect(sound.processingError?.code).toBe(code);
  // A sentence for people: no address, no storage key, no tool output.
  expect(sound.processingError?.message).toMatch(/^[A-Z][^/:]*\.$/);
  expect(sound.streamUrl).toBeNull();
  expect(sound.waveformUrl).toBeNull();
  // Anyone else sees that it failed, not why.
  const seenByOthers = await json<SoundBody>(await fetch(`${system.url}/sounds/${id}`));
  expect(seenByOthers).toMatchObject({ processing: 'failed', processingError: null });
  const listed = await json<{ items: SoundBody[] }>(await fetch(`${system.url}/sounds`));
  expect(listed.items.find((item) => item.id === id)?.processingError).toBeNull();
  const original = await fetch(`${system.url}/sounds/${id}/audio`);
  expect(original.status).toBe(200);
  // Not read here: let go of it, or its connection stays open (and the API cannot close).
  await original.body?.cancel();
  expect((await fetch(`${system.url}/sounds/${id}/stream`)).status).toBe(404);
  expect((await fetch(`${system.url}/sounds/${id}/waveform`)).status).toBe(404);
}

describe('sounds that cannot be processed', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    system = await startSystem({ ...PROCESSING, PROCESSING_MAX_ATTEMPTS: '2' });
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  it('marks a file whose decoding errors cover most of it as failed, with the reason', async () => {
    // Two good seconds of ADTS, then eighteen whose frame headers hold payloads no AAC
    // decoder takes: ffprobe decodes the start, ffmpeg finds the rest broken.
    const good = ffmpegAudio({ format: 'adts', codec: 'aac', seconds: 2 });
    const garbled = garbleAdtsPayloads(ffmpegAudio({ format: 'adts', codec: 'aac', seconds: 18 }));
    const { id } = await upload(system, userId, Buffer.concat([good, garbled]), 'garbled.aac');
    await expectFailedButPlayable(system, userId, id, 'undecodable');
  });

  it('keeps a truncated FLAC as the sound it still holds', async () => {
    const flac = ffmpegAudio({ format: 'flac', codec: 'flac', seconds: 4, signal: 'noise' });
    const { id } = await upload(system, userId, flac.subarray(0, flac.length / 2), 'cut.flac');
    const sound = await processed(system, id);
    expect(sound.processing).toBe('ready');
    expect(sound.durationMs).toBeGreaterThan(1500);
    expect(sound.durationMs).toBeLessThan(2500);
  });

  it('leaves no derivative behind', async () => {
    await expectConsistent(system);
  });
});

describe('sounds over the time budget', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    system = await startSystem({
      ...PROCESSING,
      PROCESSING_MAX_ATTEMPTS: '2',
      PROCESSING_CPU_SECONDS: '1',
      PROCESSING_TIMEOUT_MS: '1500',
    });
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  it('stops a file at its time budget', async () => {
    const started = performance.now();
    const { id } = await upload(system, userId, threeMinutesOfNoise(), 'noise.wav');
    await expectFailedButPlayable(system, userId, id, 'over-time');
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('lets only the uploader retry a failed sound, which is then processed again', async () => {
    const { id } = await upload(system, userId, threeMinutesOfNoise(), 'noise-again.wav');
    await expectFailedButPlayable(system, userId, id, 'over-time');
    const other = await system.createUser();
    const retry = (user: number, sound = id) =>
      fetch(`${system.url}/sounds/${sound}/retry`, {
        method: 'POST',
        headers: { 'x-user-id': String(user) },
      });
    expect((await retry(other)).status).toBe(403);
    const queued = await retry(userId);
    expect(queued.status).toBe(202);
    expect(await queued.json()).toMatchObject({ id, processing: 'pending', processingError: null });
    // Pending now, so not failed: a second retry is a conflict.
    const again = await retry(userId);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'NOT_FAILED' });
    expect((await retry(userId, crypto.randomUUID())).status).toBe(404);
    // The same budget, the same end: but it was tried again.
    await expectFailedButPlayable(system, userId, id, 'over-time');
  }, 60_000);

  it('leaves no derivative behind', async () => {
    await expectConsistent(system);
  });
});

describe('sounds longer than their files can hold', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    system = await startSystem({ ...PROCESSING, MAX_DURATION_MS: '60000' });
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  it('refuses before the 201 a small file whose container claims hours of sound', async () => {
    const before = await system.countStoredFiles();
    const response = await uploadSound(system.url, {
      userId,
      bytes: hoursOfSilence(),
      filename: 'hours.flac',
    });
    expect(response.status).toBe(422);
    const body = await json<{ code: string; message: string }>(response);
    expect(body.code).toBe('AUDIO_TOO_LONG');
    expect(body.message).toMatch(/claims 6 h 0 min of sound, more than the limit of 1 min 0 s/);
    expect(await system.countStoredFiles()).toBe(before);
  });

  it('stops a file that decodes past what its bytes can hold, though it does not say so', async () => {
    // The same six hours with the length in its header erased: found out while decoding.
    const unsaid = hoursOfSilence();
    unsaid[21] = (unsaid[21] as number) & 0xf0;
    unsaid.fill(0, 22, 26);
    const started = performance.now();
    const { id } = await upload(system, userId, unsaid, 'unsaid.flac');
    const sound = await processed(system, id, 30_000, userId);
    expect(sound).toMatchObject({ processing: 'failed', processingError: { code: 'too-long' } });
    // Stopped at the bound (MAX_DURATION_MS, a minute here), not decoded for six hours.
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('leaves nothing behind', async () => {
    await expectConsistent(system);
  });
});

describe('without ffmpeg and ffprobe', () => {
  const binDir = mkdtempSync(join(tmpdir(), 'no-ffmpeg-'));
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    system = await startSystem({
      ...PROCESSING,
      FFMPEG_PATH: join(binDir, 'ffmpeg'),
      FFPROBE_PATH: join(binDir, 'ffprobe'),
    });
    userId = await system.createUser();
  });
  afterAll(async () => {
    await system?.close();
    rmSync(binDir, { recursive: true, force: true });
  });

  it('still takes uploads, says so on /ready, and judges and processes them once they are back', async () => {
    const ready = await fetch(`${system.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      processing: 'unavailable',
      uploadCheck: 'unavailable',
    });

    const bytes = ffmpegAudio({ format: 'wav', codec: 'pcm_s16le', seconds: 1 });
    const sound = await upload(system, userId, bytes, 'tone.wav');
    // What its first bytes suggest, until the decoder has looked.
    expect(sound).toMatchObject({ processing: 'pending', contentType: 'audio/wav' });
    // Bytes the sniff cannot place: taken, to be judged later.
    const unknown = await upload(system, userId, Buffer.alloc(4096), 'mystery.bin');
    expect(unknown).toMatchObject({ contentType: 'application/octet-stream' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = await json<SoundBody>(await fetch(`${system.url}/sounds/${sound.id}`));
    expect(waiting.processing).toBe('pending');
    expect((await fetch(`${system.url}/sounds/${sound.id}/audio`)).status).toBe(200);

    for (const tool of ['ffmpeg', 'ffprobe']) {
      const path = spawnSync('sh', ['-c', `command -v ${tool}`])
        .stdout.toString()
        .trim();
      symlinkSync(path, join(binDir, tool));
    }
    expect((await processed(system, sound.id)).processing).toBe('ready');
    const judged = await processed(system, unknown.id, 30_000, userId);
    expect(judged).toMatchObject({ processing: 'failed', processingError: { code: 'not-audio' } });
    expect(await (await fetch(`${system.url}/ready`)).json()).toMatchObject({
      processing: 'ok',
      uploadCheck: 'ok',
    });
  });
});

describe('a delete while the job runs', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    system = await startSystem(PROCESSING);
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  it('leaves neither the sound nor any derivative behind', async () => {
    const outcomes: JobOutcome[] = [];
    system.api.processing.onOutcome((_id, outcome) => outcomes.push(outcome));
    // Long enough (4 minutes of noise) that the job is still running when the delete comes.
    const bytes = ffmpegAudio({
      format: 'wav',
      codec: 'pcm_s16le',
      seconds: 240,
      signal: 'noise',
      sampleRate: 22050,
    });
    const { id } = await upload(system, userId, bytes);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const deleted = await fetch(`${system.url}/sounds/${id}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(userId) },
    });
    expect(deleted.status).toBe(204);
    await waitUntil('the job to end', () => outcomes.length > 0, 30_000);
    expect(outcomes).toEqual(['lost']);
    expect(await system.countStoredFiles()).toBe(0);
    await expectConsistent(system);
  });
});

describe('runners racing for the same jobs', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    // The API's own runner stays off: the test's runners are the only ones.
    system = await startSystem({ PROCESSING_CONCURRENCY: '0' });
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  function runner(leaseMs: number) {
    const config = loadConfig({});
    const budget = { timeoutMs: 60_000, cpuSeconds: 60, memoryMb: 1024 };
    const fileStore = createFileStore(
      system.fileStore.url,
      backendTimeouts(config),
      fileStoreLimits(config),
    );
    const outcomes: Array<[string, JobOutcome]> = [];
    const runner = createProcessingRunner({
      db: system.api.db,
      fileStore,
      ffmpeg: createMediaTool('ffmpeg', budget),
      ffprobe: createMediaTool('ffprobe', { timeoutMs: 10_000, cpuSeconds: 10, memoryMb: 512 }),
      budget,
      maxDurationMs: 3_600_000,
      log: system.api.log,
      maxAttempts: 3,
      retryDelayMs: 100,
      concurrency: 2,
      pollMs: 50,
      leaseMs,
    });
    runner.onOutcome((id, outcome) => outcomes.push([id, outcome]));
    return { runner, outcomes, close: () => fileStore.close() };
  }

  it('processes every job exactly once across two runners (two replicas’ worth)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const bytes = ffmpegAudio({ format: 'wav', codec: 'pcm_s16le', seconds: 1 + i / 4 });
      ids.push((await upload(system, userId, bytes)).id);
    }
    const [a, b] = [runner(60_000), runner(60_000)];
    a.runner.start();
    b.runner.start();
    for (const id of ids) expect((await processed(system, id)).processing).toBe('ready');
    await Promise.all([a.runner.stop(), b.runner.stop()]);
    await Promise.all([a.close(), b.close()]);

    const done = [...a.outcomes, ...b.outcomes].filter(([, outcome]) => outcome === 'done');
    expect(done.map(([id]) => id).sort()).toEqual([...ids].sort());
    // Each did some of the work.
    expect(a.outcomes.length).toBeGreaterThan(0);
    expect(b.outcomes.length).toBeGreaterThan(0);
    await expectConsistent(system);
  });

  it('lets only the holder of the current lease record a result', async () => {
    // The first runner's lease runs out while it works (as if it had stalled or been cut off
    // from the database); the second claims the job anew and the first must give up.
    const bytes = ffmpegAudio({
      format: 'wav',
      codec: 'pcm_s16le',
      seconds: 240,
      signal: 'noise',
      sampleRate: 22050,
    });
    const { id } = await upload(system, userId, bytes);
    // A short lease, so that its renewals (every third of it) notice the loss quickly.
    const first = runner(1_500);
    first.runner.start();
    const query = async (text: string) => {
      const result = await system.api.db.execute(text);
      return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<
        Record<string, unknown>
      >;
    };
    await waitUntil('the first claim', async () => {
      const [job] = await query(`select lease_token from processing_jobs where sound_id = '${id}'`);
      return Boolean(job?.lease_token);
    });
    await query(`update processing_jobs set lease_until = now() - interval '1 second'`);
    const second = runner(60_000);
    second.runner.start();
    expect((await processed(system, id, 60_000)).processing).toBe('ready');
    await waitUntil(
      'the first runner to give up',
      () => first.outcomes.some(([soundId]) => soundId === id),
      60_000,
    );
    await Promise.all([first.runner.stop(), second.runner.stop()]);
    await Promise.all([first.close(), second.close()]);
    // The lease that ran out was lost; of all attempts (the first runner has a second loop
    // that may win the new claim) exactly one recorded the result.
    expect(first.outcomes).toContainEqual([id, 'lost']);
    const results = [...first.outcomes, ...second.outcomes].map(([, outcome]) => outcome);
    expect(results.filter((outcome) => outcome === 'done')).toHaveLength(1);
    await expectConsistent(system);
  }, 90_000);
});

/** Fills every ADTS frame's payload with a byte pattern no AAC decoder takes. */
function garbleAdtsPayloads(aac: Buffer): Buffer {
  const garbled = Buffer.from(aac);
  let at = 0;
  while (at + 7 < garbled.length) {
    const length =
      (((garbled[at + 3] as number) & 0x03) << 11) |
      ((garbled[at + 4] as number) << 3) |
      ((garbled[at + 5] as number) >> 5);
    garbled.fill(0xa5, at + 7, at + length);
    at += length;
  }
  return garbled;
}

/** ffmpeg's own EBU R128 measurement of a file: the reference for the API's. */
function measureLoudness(file: Buffer): { integratedLufs: number; truePeakDbtp: number } {
  const run = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-nostats', '-i', 'pipe:0', '-af', 'ebur128=peak=true', '-f', 'null', '-'],
    { input: file },
  );
  const log = run.stderr.toString();
  const summary = log.slice(log.lastIndexOf('Summary:'));
  return {
    integratedLufs: Number(summary.match(/I:\s+(-?[\d.]+) LUFS/)?.[1]),
    truePeakDbtp: Number(summary.match(/Peak:\s+(-?[\d.]+) dBFS/)?.[1]),
  };
}

/** Six hours of silence in a small FLAC: a decompression bomb of the plainest kind. */
function hoursOfSilence(): Buffer {
  return ffmpegLavfi('anullsrc=r=8000:cl=mono', ['-t', '21600', '-c:a', 'flac', '-f', 'flac']);
}

/** Three minutes of noise: far more than a second of CPU to decode and encode. */
function threeMinutesOfNoise(): Buffer {
  return ffmpegAudio({
    format: 'wav',
    codec: 'pcm_s16le',
    seconds: 180,
    signal: 'noise',
    sampleRate: 22050,
  });
}

import { json, uploadSound } from '@cloud-sound/server/testing/http';
import { ffmpegAudio } from '@cloud-sound/server/testing/media-files';
import { waitUntil } from '@cloud-sound/server/testing/wait';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * Issue 12: the API killed (SIGKILL) while it processes a sound, then started again: once the
 * dead attempt's lease has run out the job is claimed anew, the files the dead attempt had
 * begun are removed, and the sound ends `ready` with exactly one rendition and waveform.
 */

const LEASE_MS = 1_500;

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({
    api: {
      PROCESSING_CONCURRENCY: '1',
      PROCESSING_POLL_MS: '100',
      PROCESSING_LEASE_MS: String(LEASE_MS),
    },
  });
}, 60_000);
afterAll(() => system?.close());

it('finishes a job whose API was killed in the middle of it, leaving nothing behind', async () => {
  const userId = await system.createUser();
  // Four minutes of noise: a couple of seconds of ffmpeg, time enough to kill it midway.
  const bytes = ffmpegAudio({
    format: 'wav',
    codec: 'pcm_s16le',
    seconds: 240,
    signal: 'noise',
    sampleRate: 22050,
  });
  const response = await uploadSound(system.api.url, { userId, bytes });
  const { id } = await json<{ id: string }>(response);
  await system.api.waitForLog((line) => line.msg === 'processing a sound' && line.soundId === id);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await system.api.kill('SIGKILL');

  const restartedAt = performance.now();
  await system.api.start();
  let processing = 'pending';
  await waitUntil(
    'the sound to be processed after the restart',
    async () => {
      const sound = await json<{ processing: string }>(
        await fetch(`${system.api.url}/sounds/${id}`),
      );
      processing = sound.processing;
      return processing !== 'pending';
    },
    30_000,
  );
  expect(processing).toBe('ready');
  // Taken over once the dead attempt's lease ran out, not before.
  expect(performance.now() - restartedAt).toBeGreaterThan(LEASE_MS / 2);
  const stream = await fetch(`${system.api.url}/sounds/${id}/stream`);
  expect(stream.status).toBe(200);
  expect(stream.headers.get('content-type')).toBe('audio/mpeg');
  await stream.arrayBuffer();

  await system.api.stop();
  await system.expectConsistent();
}, 90_000);

import { connect, type Socket } from 'node:net';
import { wavHeader, wavTone } from '@cloud-sound/server/testing/audio';
import { json, uploadSound } from '@cloud-sound/server/testing/http';
import {
  aiffWithManyChunks,
  ffmpegAudio,
  flacWithCommentBomb,
  mp3WithManyTxxxFrames,
  mp3WithTextListBomb,
  mp4WithIlstBomb,
  oggWithCommentBomb,
  repeatAudio,
  wavWithManyChunks,
  webmWithTagsBomb,
} from '@cloud-sound/server/testing/media-files';
import { streamWavUpload } from '@cloud-sound/server/testing/streamed-upload';
import { sleep } from '@cloud-sound/server/testing/wait';
import type { Program } from '@cloud-sound/system';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

type Api = Program<'api'>;

/**
 * Issue 10: the attacks that took the API down, each reproduced from outside as a stranger
 * would send it, with what must hold while it runs.
 */

const MiB = 1024 * 1024;

/** A stranger's connection from its own loopback address (127.0.0.2 and up). */
function openFrom(address: string, port: number, request: Buffer | string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: address }, () => {
      socket.write(request);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The status line the socket received, once it is read at last (undefined: none yet). */
function statusOf(socket: Socket, waitMs = 2_000): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve(match ? Number(match[1]) : undefined);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.subarray(0, 64).toString('latin1');
      if (text.length >= 12) done();
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', onData);
    socket.resume();
  });
}

async function timed<T>(what: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await what();
  return { value, ms: performance.now() - started };
}

/** A client that uses the API normally (from 127.0.0.1): play, upload, delete, readiness. */
async function ordinaryClientTimes(api: Api, userId: number, soundId: string) {
  const play = await timed(async () => {
    const response = await fetch(`${api.url}/sounds/${soundId}/audio`);
    await response.arrayBuffer();
    return response.status;
  });
  const upload = await timed(async () => {
    const response = await uploadSound(api.url, { userId, bytes: wavTone({ seconds: 0.5 }) });
    return { status: response.status, body: await json<{ id: string; code?: string }>(response) };
  });
  const remove = await timed(async () => {
    const id = upload.value.body.id;
    const response = await fetch(`${api.url}/sounds/${id}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(userId) },
    });
    return response.status;
  });
  const ready = await timed(async () => (await fetch(`${api.url}/ready`)).status);
  return { play, upload, remove, ready };
}

/** `/health`, asked over and over while `during` runs: each answer's time, in ms. */
async function healthLatencies(api: Api, during: Promise<unknown>): Promise<number[]> {
  let running = true;
  void during.finally(() => {
    running = false;
  });
  const latencies: number[] = [];
  while (running) {
    const started = performance.now();
    await fetch(`${api.url}/health`).then((response) => response.arrayBuffer());
    latencies.push(performance.now() - started);
    await sleep(10);
  }
  return latencies;
}

describe('uploads built to be slow or large to parse', () => {
  let system: TestSystem;
  let api: Api;
  let userId: number;
  beforeAll(async () => {
    system = await startTestSystem({ api: { LOG_LEVEL: 'warn' } });
    api = system.api;
    userId = await system.createUser();
  }, 60_000);
  afterAll(() => system?.close());

  const tone = (format: string, codec: string) => ffmpegAudio({ format, codec, seconds: 2 });
  // Each keeps its audio valid (ffprobe plays it, see media-formats.test.ts) around a metadata
  // block whose parsing took music-metadata seconds to minutes on the event loop.
  const bombs: Array<[string, () => Buffer]> = [
    [
      'an MP3 whose ID3 list frame holds 500,000 values',
      () => mp3WithTextListBomb(tone('mp3', 'libmp3lame'), 500_000),
    ],
    [
      'an MP3 with 200,000 TXXX frames',
      () => mp3WithManyTxxxFrames(tone('mp3', 'libmp3lame'), 200_000),
    ],
    [
      'a FLAC with a 500,000-entry Vorbis comment',
      () => flacWithCommentBomb(tone('flac', 'flac'), { entries: 500_000 }),
    ],
    [
      'an Ogg Vorbis with a 100,000-entry comment header',
      () => oggWithCommentBomb(tone('ogg', 'libvorbis'), 100_000),
    ],
    [
      'an Ogg Opus with a 100,000-entry OpusTags',
      () => oggWithCommentBomb(tone('ogg', 'libopus'), 100_000),
    ],
    ['an M4A with 100,000 ilst items', () => mp4WithIlstBomb(tone('ipod', 'aac'), 100_000)],
    ['a WebM with 100,000 SimpleTags', () => webmWithTagsBomb(tone('webm', 'libopus'), 100_000)],
    ['a WAV with 10,000 chunks before its data', () => wavWithManyChunks(tone('wav', 'pcm_s16le'))],
    [
      'an AIFF with 10,000 chunks before its sound data',
      () => aiffWithManyChunks(tone('aiff', 'pcm_s16be'), 10_000),
    ],
    [
      'a 40 MB MP3 with no duration header (every frame would be counted)',
      () =>
        repeatAudio(
          ffmpegAudio({
            format: 'mp3',
            codec: 'libmp3lame',
            seconds: 10,
            signal: 'noise',
            args: ['-b:a', '320k', '-write_xing', '0'],
          }),
          100,
          'mp3',
          ['-write_xing', '0'],
        ),
    ],
  ];

  it.each(bombs)(
    'answers %s promptly, and /health stays prompt meanwhile',
    async (_what, build) => {
      const bytes = build();
      const upload = uploadSound(api.url, { userId, bytes, filename: 'bomb' });
      const latencies = await healthLatencies(api, upload);
      const response = await upload;
      const body = await json<{ code?: string; durationMs?: number | null }>(response);
      const slowest = Math.max(...latencies);
      console.log(
        `${(bytes.length / MiB).toFixed(1)} MiB: ${response.status} ${body.code ?? ''} ` +
          `duration ${body.durationMs ?? '-'} ms; /health x${latencies.length}, slowest ${slowest.toFixed(0)} ms`,
      );
      // Valid audio (its tags skipped), or refused as over the check's budget: never an outage.
      expect([201, 422]).toContain(response.status);
      // The parsers this replaced held the event loop for seconds to minutes on these files;
      // moving 40 MB through a 2-core machine busy with other tests costs /health up to about
      // half a second on its own (524 ms seen in CI), hence a second.
      expect(slowest).toBeLessThan(1_000);
    },
    60_000,
  );

  it('is still up and consistent after all of them', async () => {
    expect((await fetch(`${api.url}/ready`)).status).toBe(200);
    expect(api.output()).not.toMatch(/"level":(50|60)/);
  });
});

describe('clients that hold connections without using them', () => {
  let system: TestSystem;
  let victim: number;
  let stranger: number;
  let bigSound: string;
  let smallSound: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    system = await startTestSystem({ api: { LOG_LEVEL: 'warn' } });
    victim = await system.createUser();
    stranger = await system.createUser();
  }, 60_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await system?.close();
  });

  async function seed(api: Api) {
    // Far larger than the socket buffers between the API and a client, so a client that does
    // not read keeps its playback (and its file_store connection) busy.
    const big = streamWavUpload(api.url, {
      userId: stranger,
      dataBytes: 40 * MiB,
      chunkBytes: MiB,
    });
    bigSound = (await json<{ id: string }>(await big.response)).id;
    const small = await uploadSound(api.url, { userId: victim, bytes: wavTone({ seconds: 1 }) });
    smallSound = (await json<{ id: string }>(small)).id;
  }

  const playback = (id: string) => `GET /sounds/${id}/audio HTTP/1.1\r\nHost: x\r\n\r\n`;
  const trickledUpload = (userId: number) =>
    Buffer.concat([
      Buffer.from(
        `POST /sounds HTTP/1.1\r\nHost: x\r\nX-User-Id: ${userId}\r\n` +
          `Content-Type: multipart/form-data; boundary=t\r\nContent-Length: ${10 * MiB}\r\n\r\n` +
          '--t\r\nContent-Disposition: form-data; name="file"; filename="slow.wav"\r\n\r\n',
      ),
      // Past the head the API sniffs, so the upload is under way to file_store, holding a slot.
      wavHeader(10 * MiB),
      Buffer.alloc(128 * 1024),
    ]);

  /** Sends one more byte on each upload every second, so no idle timeout ends them. */
  function trickle(uploads: Socket[]): () => void {
    const timer = setInterval(() => {
      for (const socket of uploads) if (!socket.destroyed) socket.write(Buffer.alloc(1));
    }, 1_000);
    return () => clearInterval(timer);
  }

  it('70 playbacks never read and 50 trickling uploads from one address starve nobody else', async () => {
    const api = system.api;
    await api.restart({ settings: { CLIENT_MAX_PLAYBACKS: '16', CLIENT_MAX_UPLOADS: '4' } });
    await seed(api);
    const playbacks = await Promise.all(
      Array.from({ length: 70 }, () => openFrom('127.0.0.2', api.port, playback(bigSound))),
    );
    for (const socket of playbacks) socket.pause();
    const uploads = await Promise.all(
      Array.from({ length: 50 }, () => openFrom('127.0.0.2', api.port, trickledUpload(stranger))),
    );
    sockets.push(...playbacks, ...uploads);
    const stopTrickle = trickle(uploads);
    await sleep(1_000);

    const times = await ordinaryClientTimes(api, victim, smallSound);
    stopTrickle();
    console.log(
      `held connections: play ${times.play.ms.toFixed(0)} ms, upload ${times.upload.ms.toFixed(0)} ms, ` +
        `delete ${times.remove.ms.toFixed(0)} ms, ready ${times.ready.ms.toFixed(0)} ms`,
    );
    expect(times.play.value).toBe(200);
    expect(times.upload.value.status).toBe(201);
    expect(times.remove.value).toBe(204);
    expect(times.ready.value).toBe(200);
    for (const step of [times.play, times.upload, times.remove, times.ready]) {
      expect(step.ms).toBeLessThan(5_000);
    }

    // The stranger got its share (CLIENT_MAX_PLAYBACKS, CLIENT_MAX_UPLOADS) and 429 for the rest.
    const playStatuses = await Promise.all(playbacks.map((socket) => statusOf(socket)));
    expect(playStatuses.filter((status) => status === 200)).toHaveLength(16);
    expect(playStatuses.filter((status) => status === 429)).toHaveLength(54);
    const uploadStatuses = await Promise.all(uploads.map((socket) => statusOf(socket, 500)));
    expect(uploadStatuses.filter((status) => status === 429)).toHaveLength(46);
    expect(uploadStatuses.filter((status) => status === undefined)).toHaveLength(4);
    for (const socket of [...playbacks, ...uploads]) socket.destroy();
    await api.stop();
  }, 60_000);

  it('when many addresses hold every transfer slot, playback is a prompt 503 and the rest works', async () => {
    const api = system.api;
    await api.restart({
      settings: {
        FILE_STORE_PLAYBACK_CONNECTIONS: '8',
        FILE_STORE_UPLOAD_CONNECTIONS: '4',
        BACKEND_QUEUE_TIMEOUT_MS: '1000',
      },
    });
    await seed(api);
    const playbacks = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        openFrom(`127.0.0.${10 + i}`, api.port, playback(bigSound)),
      ),
    );
    for (const socket of playbacks) socket.pause();
    const uploads = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        openFrom(`127.0.0.${30 + i}`, api.port, trickledUpload(stranger)),
      ),
    );
    sockets.push(...playbacks, ...uploads);
    const stopTrickle = trickle(uploads);
    await sleep(1_500);

    const times = await ordinaryClientTimes(api, victim, smallSound);
    stopTrickle();
    // Every playback slot is held: this one waits BACKEND_QUEUE_TIMEOUT_MS, then 503…
    expect(times.play.value).toBe(503);
    expect(times.play.ms).toBeLessThan(3_000);
    // …while uploads (their own slots, one left), deletes and /ready are untouched.
    expect(times.upload.value.status).toBe(201);
    expect(times.remove.value).toBe(204);
    expect(times.ready.value).toBe(200);
    for (const step of [times.upload, times.remove, times.ready]) {
      expect(step.ms).toBeLessThan(5_000);
    }
    for (const socket of [...playbacks, ...uploads]) socket.destroy();
    await api.stop();
  }, 60_000);
});

describe('bursts of distinct listings, more than the read cache holds', () => {
  let system: TestSystem;
  let api: Api;
  beforeAll(async () => {
    system = await startTestSystem({ api: { LOG_LEVEL: 'warn' } });
    api = system.api;
    const userId = await system.createUser();
    for (let i = 0; i < 30; i++) {
      await uploadSound(api.url, { userId, bytes: wavTone({ seconds: 0.1 }) });
    }
  }, 60_000);
  afterAll(() => system?.close());

  it('answers every one of 3 × 200 with its page, none with an error', async () => {
    // 200 different pages at once against a cache of 100: entries are evicted while their
    // queries run, which lru-cache turned into rejections (on Postgres, as CI runs it: about
    // half of each burst after the first answered 500).
    for (let round = 0; round < 3; round++) {
      const queries = Array.from(
        { length: 200 },
        (_, i) => `limit=${1 + (i % 100)}${i >= 100 ? `&userId=${1 + i}` : ''}&round=${round}`,
      );
      const statuses = await Promise.all(
        queries.map(async (query) => (await fetch(`${api.url}/sounds?${query}`)).status),
      );
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
    }
    expect(api.output()).not.toMatch(/"level":50/);
  });
});

import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { noiseWav } from '@cloud-sound/server/testing/tus';
import { Upload, type UploadOptions } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * Issue 22: resumable uploads where they earn their keep, against the programs as processes:
 * a GiB whose connection is cut every 64 MiB, the API killed with SIGKILL mid-upload, and an
 * upload carried on by another replica through the gateway. Each ends as a sound whose bytes
 * are the file's (SHA-256), sent by tus-js-client as the web app sends it (8 MiB chunks).
 */

const MiB = 1024 * 1024;
const CHUNK = 8 * MiB;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function storedHash(apiUrl: string, soundId: string): Promise<string> {
  const response = await fetch(`${apiUrl}/sounds/${soundId}/audio`);
  expect(response.status).toBe(200);
  const hash = createHash('sha256');
  for await (const chunk of response.body ?? []) hash.update(chunk);
  return hash.digest('hex');
}

/** Uploads `bytes` with tus-js-client; resolves to the sound's id. */
function tusUpload(
  endpoint: string,
  userId: number,
  bytes: Buffer,
  options: Partial<UploadOptions> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(bytes, {
      endpoint,
      chunkSize: CHUNK,
      headers: { 'X-User-Id': String(userId) },
      metadata: { filename: 'noise.wav' },
      retryDelays: [0, 200, 500, 1_000, 2_000, 4_000, 8_000],
      onError: reject,
      onSuccess: ({ lastResponse }) => resolve(lastResponse.getHeader('Sound-Id') ?? ''),
      ...options,
    });
    upload.start();
  });
}

/**
 * A TCP proxy that cuts every connection through it (both sides at once) each time another
 * `cutEvery` bytes from clients have passed, as a phone changing networks would.
 */
async function cuttingProxy(targetPort: number, cutEvery: number) {
  const stats = { cuts: 0, fromClients: 0 };
  let sinceCut = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      stats.fromClients += chunk.length;
      sinceCut += chunk.length;
      if (!upstream.write(chunk)) client.pause();
      if (sinceCut >= cutEvery) {
        sinceCut = 0;
        stats.cuts += 1;
        client.destroy();
        upstream.destroy();
      }
    });
    upstream.on('drain', () => client.resume());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    stats,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('one API process', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ api: { LOG_LEVEL: 'warn' } });
  }, 60_000);
  afterAll(() => system?.close());

  it('completes a GiB whose connection is cut every 64 MiB, re-sending at most a chunk per cut', async () => {
    const bytes = noiseWav(1024 * MiB);
    const proxy = await cuttingProxy(system.api.port, 64 * MiB);
    try {
      const userId = await system.createUser();
      const soundId = await tusUpload(`${proxy.url}/uploads`, userId, bytes);
      // What crossed the proxy beyond the file: the bytes sent again after each cut (and a few
      // hundred bytes of headers per request).
      const resent = proxy.stats.fromClients - bytes.length;
      console.log(
        `resumable: 1 GiB in ${CHUNK / MiB} MiB chunks, ${proxy.stats.cuts} cuts, ` +
          `${(resent / MiB).toFixed(2)} MiB re-sent (${(resent / proxy.stats.cuts / MiB).toFixed(2)} MiB a cut)`,
      );
      expect(proxy.stats.cuts).toBe(16);
      // At most a chunk a cut, as a server that drops a cut request's bytes would re-send; this
      // one keeps what arrived, so hardly more than the requests' headers goes again.
      expect(resent).toBeLessThanOrEqual(proxy.stats.cuts * CHUNK);
      expect(resent).toBeLessThan(proxy.stats.cuts * MiB);
      expect(await storedHash(system.apiUrl, soundId)).toBe(sha256(bytes));
    } finally {
      await proxy.close();
    }
  }, 300_000);

  it('carries on after the API is killed with SIGKILL mid-upload and started again', async () => {
    const bytes = noiseWav(96 * MiB);
    const userId = await system.createUser();
    let killed = false;
    const done = tusUpload(`${system.apiUrl}/uploads`, userId, bytes, {
      onChunkComplete: (_size, accepted) => {
        if (killed || accepted < 24 * MiB) return;
        killed = true;
        void (async () => {
          await system.api.kill('SIGKILL');
          await system.api.restart();
        })();
      },
    });
    const soundId = await done;
    expect(killed).toBe(true);
    expect(await storedHash(system.apiUrl, soundId)).toBe(sha256(bytes));
    await system.api.stop();
    await system.expectConsistent();
    await system.api.restart();
  }, 120_000);
});

describe('three replicas behind the gateway', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ apiReplicas: 3, api: { LOG_LEVEL: 'warn' } });
  }, 120_000);
  afterAll(() => system?.close());

  it('carries an upload begun on one replica on to the others when that one stops', async () => {
    const bytes = noiseWav(48 * MiB);
    const userId = await system.createUser();
    const [first] = system.replicas;
    if (!first) throw new Error('no replica');
    // Begun directly on the first replica…
    let location = '';
    let stopped: Promise<unknown> | undefined;
    const soundId = await new Promise<string>((resolve, reject) => {
      const upload = new Upload(bytes, {
        endpoint: `${first.url}/uploads`,
        chunkSize: CHUNK,
        headers: { 'X-User-Id': String(userId) },
        metadata: { filename: 'noise.wav' },
        retryDelays: [0, 200, 500, 1_000],
        onError: reject,
        onSuccess: ({ lastResponse }) => resolve(lastResponse.getHeader('Sound-Id') ?? ''),
        onChunkComplete: (_size, accepted) => {
          if (stopped || accepted < 16 * MiB) return;
          location = upload.url ?? '';
          // …which then stops: the rest goes through the gateway, to the other two.
          stopped = first.stop();
          upload.url = `${system.apiUrl}${new URL(location).pathname}`;
        },
      });
      upload.start();
    });
    await stopped;
    expect(location).not.toBe('');
    expect(await storedHash(system.apiUrl, soundId)).toBe(sha256(bytes));
  }, 120_000);
});

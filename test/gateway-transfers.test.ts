// Sounds' files through the API gateway (gateway/nginx/files.conf, Debian's nginx): the API
// authorizes and hands the transfer to nginx with X-Accel-Redirect, and a client cannot tell
// from what it gets: the same statuses, headers and bytes as the API streaming the file itself,
// for whole files, ranges, revalidation, HEAD and every error.

import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavTone } from '@cloud-sound/server/testing/audio';
import { json, uploadSound } from '@cloud-sound/server/testing/http';
import { startSystem, type TestSystem } from '@cloud-sound/server/testing/system';
import { waitUntil } from '@cloud-sound/server/testing/wait';
import { findNginx, GATEWAY_UPSTREAM_ADDRESS, type Gateway } from '@cloud-sound/system';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayInFront } from './helpers/gateway.ts';

const ORIGIN = 'http://web.cloud-sound.test';

let dir: string;
let system: TestSystem;
let gateway: Gateway;
let soundId: string;
let fileBytes: Buffer;

beforeAll(async () => {
  if (!findNginx())
    throw new Error("Debian's nginx is needed for this test: apt-get install nginx");
  dir = await mkdtemp(join(tmpdir(), 'cloud-sound-gateway-transfers-'));
  system = await startSystem({
    TRUST_PROXY: GATEWAY_UPSTREAM_ADDRESS,
    CORS_ORIGINS: ORIGIN,
    // Rows changed behind the API's back are read at once.
    READ_CACHE_TTL_MS: '0',
    // The rendition and waveform are made (the tests' default is no processing).
    PROCESSING_CONCURRENCY: '1',
    PROCESSING_POLL_MS: '100',
  });
  gateway = await startGatewayInFront(system, dir);
  const userId = await system.createUser();
  fileBytes = wavTone({ seconds: 2 });
  ({ id: soundId } = await json<{ id: string }>(
    await uploadSound(gateway.url, { userId, bytes: fileBytes }),
  ));
  await waitUntil(
    'the sound to be processed',
    async () => {
      const sound = await json<{ processing: string }>(
        await fetch(`${system.url}/sounds/${soundId}`),
      );
      return sound.processing === 'ready';
    },
    30_000,
  );
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  await system?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers that say when or over which connection, not what was answered. */
const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive', 'server', 'transfer-encoding']);

/** One raw request (HEAD answers have no body, and fetch() hides some headers). */
function ask(base: string, path: string, method: string, headers: Record<string, string>) {
  return new Promise<Answer>((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const kept: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (!PER_CONNECTION.has(name)) kept[name] = [value].flat().join(', ');
        }
        resolve({ status: response.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks) });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** A request to the API from the gateway's own address, offering to take the transfer. */
function askAsGateway(path: string): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const request = httpRequest(
      `${system.url}${path}`,
      { headers: OFFER, localAddress: GATEWAY_UPSTREAM_ADDRESS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers as Record<string, string>,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const OFFER = { 'x-sendfile-type': 'X-Accel-Redirect' };

/** The same request through the gateway (X-Accel-Redirect) and straight to the API (streamed). */
async function bothWays(path: string, method = 'GET', headers: Record<string, string> = {}) {
  const withOrigin = { origin: ORIGIN, ...headers };
  const [viaGateway, direct] = await Promise.all([
    ask(gateway.url, path, method, withOrigin),
    ask(system.url, path, method, withOrigin),
  ]);
  return { viaGateway, direct };
}

/** The answers without their request ids (each request has its own). */
function comparable(answer: Answer) {
  const { 'x-request-id': _id, ...headers } = answer.headers;
  return { status: answer.status, headers, body: answer.body.toString('latin1') };
}

describe('a file through the gateway is answered as the API answers it', () => {
  const etagOf = async (file: string) =>
    (await ask(system.url, `/sounds/${soundId}/${file}`, 'HEAD', {})).headers.etag ?? '';

  it.each([
    ['the original, whole', 'audio', 'GET', {}],
    ['the original, HEAD', 'audio', 'HEAD', {}],
    ['the rendition, whole', 'stream', 'GET', {}],
    ['the rendition, HEAD', 'stream', 'HEAD', {}],
    ['the waveform', 'waveform', 'GET', {}],
    ['a range', 'audio', 'GET', { range: 'bytes=100-4195' }],
    ['a suffix range', 'stream', 'GET', { range: 'bytes=-1000' }],
    ['an open range, HEAD', 'audio', 'HEAD', { range: 'bytes=44-' }],
    ['a range past the end (416)', 'audio', 'GET', { range: 'bytes=99999999-' }],
  ] as Array<[string, string, string, Record<string, string>]>)(
    '%s',
    async (_what, file, method, headers) => {
      const { viaGateway, direct } = await bothWays(`/sounds/${soundId}/${file}`, method, headers);
      expect(comparable(viaGateway)).toEqual(comparable(direct));
      expect(viaGateway.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(viaGateway.headers['x-content-type-options']).toBe('nosniff');
    },
  );

  it('the original has the uploaded bytes, whole and in a range', async () => {
    const { viaGateway } = await bothWays(`/sounds/${soundId}/audio`);
    expect(viaGateway.status).toBe(200);
    expect(viaGateway.body.equals(fileBytes)).toBe(true);
    const ranged = await ask(gateway.url, `/sounds/${soundId}/audio`, 'GET', {
      range: 'bytes=100-4195',
    });
    expect(ranged.status).toBe(206);
    expect(ranged.body.equals(fileBytes.subarray(100, 4196))).toBe(true);
  });

  it('a revalidation with the current ETag is a 304, both ways', async () => {
    const etag = await etagOf('audio');
    expect(etag).not.toBe('');
    const { viaGateway, direct } = await bothWays(`/sounds/${soundId}/audio`, 'GET', {
      'if-none-match': etag,
    });
    expect(viaGateway.status).toBe(304);
    expect(comparable(viaGateway)).toEqual(comparable(direct));
  });

  it('an unknown sound is the API’s 404, both ways', async () => {
    const { viaGateway, direct } = await bothWays(
      '/sounds/00000000-0000-4000-8000-000000000000/audio',
    );
    expect(viaGateway.status).toBe(404);
    expect(comparable(viaGateway)).toEqual(comparable(direct));
  });

  it('a file missing from file_store is the API’s 404 FILE_MISSING, both ways', async () => {
    const userId = await system.createUser();
    const { id } = await json<{ id: string }>(
      await uploadSound(system.url, { userId, bytes: wavTone() }),
    );
    // The gateway's internal path names the file: file_store's own path after the prefix.
    const internalPath = (await askAsGateway(`/sounds/${id}/audio`)).headers['x-accel-redirect'];
    const removed = await fetch(
      `${system.fileStore.url}${internalPath?.replace('/_file_store', '')}`,
      { method: 'DELETE' },
    );
    expect(removed.status).toBe(204);
    const { viaGateway, direct } = await bothWays(`/sounds/${id}/audio`);
    expect(viaGateway.status).toBe(404);
    expect(JSON.parse(viaGateway.body.toString()).code).toBe('FILE_MISSING');
    expect(comparable(viaGateway)).toEqual(comparable(direct));
  });
});

describe('file_store down', () => {
  it('is the API’s 503, both ways, and the files come back with it', async () => {
    await system.fileStore.stop();
    try {
      const { viaGateway, direct } = await bothWays(`/sounds/${soundId}/audio`);
      expect(viaGateway.status).toBe(503);
      expect(JSON.parse(viaGateway.body.toString()).code).toBe('STORAGE_UNAVAILABLE');
      expect(comparable(viaGateway)).toEqual(comparable(direct));
    } finally {
      await system.fileStore.start();
    }
    const again = await ask(gateway.url, `/sounds/${soundId}/audio`, 'GET', {});
    expect(again.body.equals(fileBytes)).toBe(true);
  });
});

describe('who may hand transfers to the gateway', () => {
  it('the API answers with X-Accel-Redirect only to the gateway that offered it', async () => {
    // From 127.0.0.1, not the gateway's address: the offer is not believed, the file streams.
    const forged = await ask(system.url, `/sounds/${soundId}/audio`, 'GET', OFFER);
    expect(forged.headers['x-accel-redirect']).toBeUndefined();
    expect(forged.body.equals(fileBytes)).toBe(true);
    // From the gateway's address: headers only, and the gateway's internal path.
    const fromGateway = await askAsGateway(`/sounds/${soundId}/audio`);
    expect(fromGateway.headers['x-accel-redirect']).toMatch(/^\/_file_store\/files\/[\w-]+$/);
    expect(fromGateway.body.length).toBe(0);
  });

  it('a client cannot reach the gateway’s internal location', async () => {
    const internalPath = (await askAsGateway(`/sounds/${soundId}/audio`)).headers[
      'x-accel-redirect'
    ];
    const internal = await fetch(`${gateway.url}${internalPath}`);
    expect(internal.status).toBe(404);
    expect(((await internal.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
  });
});

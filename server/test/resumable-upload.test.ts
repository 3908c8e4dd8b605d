import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumableUploadParts } from '../src/db/schema.ts';
import { PNG_BYTES } from './helpers/audio.ts';
import { expectConsistent, fileStoreHas, storeFileDirectly } from './helpers/audit.ts';
import { reapAndAudit } from './helpers/fault-operations.ts';
import { type FaultySystem, startFaultySystem } from './helpers/faulty-system.ts';
import { json } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';
import {
  cancelUpload,
  createUpload,
  headUpload,
  noiseWav,
  offsetOf,
  patchUpload,
  sendRest,
  TUS,
} from './helpers/tus.ts';

/**
 * Resumable uploads (tus 1.0, issue 22) against the real user_api, file_store and database:
 * the protocol as a client sees it, who may touch an upload, the limits, a request cut off,
 * two requests at once, expiry and the reaper; every finished upload is byte for byte the
 * file, and nothing is left in file_store but sounds.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const MAX_BYTES = 40 * MiB;

let system: TestSystem;
let userId: number;
let otherUserId: number;

beforeAll(async () => {
  system = await startSystem({
    RESUMABLE_MAX_BYTES: String(MAX_BYTES),
    USER_UNFINISHED_UPLOADS: '3',
    USER_UNFINISHED_UPLOAD_BYTES: String(60 * MiB),
  });
  [userId, otherUserId] = [await system.createUser(), await system.createUser()];
});
afterAll(() => system?.close());

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function storedAudio(soundId: string): Promise<Buffer> {
  const response = await fetch(`${system.url}/sounds/${soundId}/audio`);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Cancels every unfinished upload the test left, so the caps start fresh. */
const leftOpen: Array<{ url: string; userId: number }> = [];
async function cancelLeftOpen() {
  for (const upload of leftOpen.splice(0)) await cancelUpload(upload.url, upload.userId);
}

describe('the tus endpoint', () => {
  it('says what it supports (OPTIONS)', async () => {
    const response = await fetch(`${system.url}/uploads`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('tus-version')).toBe('1.0.0');
    expect(response.headers.get('tus-extension')?.split(',')).toEqual(
      expect.arrayContaining(['creation', 'creation-with-upload', 'termination', 'expiration']),
    );
    expect(response.headers.get('tus-max-size')).toBe(String(MAX_BYTES));
  });

  it('takes a file from tus-js-client in chunks and publishes it as the same bytes', async () => {
    const bytes = noiseWav(3 * MiB + 123);
    const soundId = await new Promise<string>((resolve, reject) => {
      const upload = new Upload(bytes, {
        endpoint: `${system.url}/uploads`,
        chunkSize: MiB,
        headers: { 'X-User-Id': String(userId) },
        metadata: { filename: 'noise.wav', title: 'Noise, resumed' },
        retryDelays: [],
        onError: reject,
        onSuccess: ({ lastResponse }) => resolve(lastResponse.getHeader('Sound-Id') ?? ''),
      });
      upload.start();
    });
    const sound = await json<{ title: string; size: number; contentType: string }>(
      await fetch(`${system.url}/sounds/${soundId}`),
    );
    expect(sound).toMatchObject({
      title: 'Noise, resumed',
      size: bytes.length,
      contentType: 'audio/wav',
    });
    expect(sha256(await storedAudio(soundId))).toBe(sha256(bytes));
    // The parts are gone: the sound's file is all file_store holds of it.
    await expectConsistent(system);
  });

  it('takes a small file whole in its creation request (creation-with-upload)', async () => {
    const bytes = noiseWav(200 * KiB);
    const { response } = await createUpload(
      system.url,
      userId,
      bytes.length,
      { filename: 'small.wav' },
      bytes,
    );
    expect(response.status).toBe(201);
    expect(response.headers.get('upload-offset')).toBe(String(bytes.length));
    const soundId = response.headers.get('sound-id') ?? '';
    expect(sha256(await storedAudio(soundId))).toBe(sha256(bytes));
  });

  it('resumes from the offset HEAD gives, refuses any other offset, and names the sound once finished', async () => {
    const bytes = noiseWav(2 * MiB);
    const { response, url } = await createUpload(system.url, userId, bytes.length);
    expect(response.status).toBe(201);
    expect(new Date(response.headers.get('upload-expires') ?? '').getTime()).toBeGreaterThan(
      Date.now(),
    );
    expect((await patchUpload(url, userId, 0, bytes.subarray(0, MiB))).status).toBe(204);
    expect(await offsetOf(url, userId)).toBe(MiB);

    const wrong = await patchUpload(url, userId, 0, bytes.subarray(0, MiB));
    expect(wrong.status).toBe(409);
    expect(await wrong.json()).toMatchObject({ code: 'UPLOAD_OFFSET_MISMATCH' });

    const last = await sendRest(url, userId, bytes, MiB);
    expect(last.status).toBe(204);
    const soundId = last.headers.get('sound-id');
    expect(soundId).toMatch(/^[0-9a-f-]{36}$/);
    const head = await headUpload(url, userId);
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(head.headers.get('sound-id')).toBe(soundId);
    expect(sha256(await storedAudio(soundId ?? ''))).toBe(sha256(bytes));
  });

  it('keeps what arrived of a request cut off, and resumes after it', async () => {
    const bytes = noiseWav(4 * MiB);
    const { url } = await createUpload(system.url, userId, bytes.length);
    const sent = Math.floor(2.5 * MiB);
    await new Promise<void>((resolve) => {
      const target = new URL(url);
      const request = httpRequest({
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'PATCH',
        headers: {
          ...TUS,
          'x-user-id': String(userId),
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
          'content-length': String(bytes.length),
        },
      });
      request.on('error', () => resolve());
      request.write(bytes.subarray(0, sent), () => {
        // The connection drops with 1.5 MiB of the body never sent.
        setTimeout(() => request.destroy(), 200);
      });
    });
    await expect.poll(() => offsetOf(url, userId), { timeout: 5_000 }).toBeGreaterThan(0);
    const kept = await offsetOf(url, userId);
    expect(kept).toBeLessThanOrEqual(sent);
    expect(kept).toBeGreaterThan(sent - MiB);
    const last = await sendRest(url, userId, bytes, MiB);
    expect(sha256(await storedAudio(last.headers.get('sound-id') ?? ''))).toBe(sha256(bytes));
  });

  it('removes the part a crashed request had named (and maybe written) before appending', async () => {
    const bytes = noiseWav(2 * MiB);
    const { url } = await createUpload(system.url, userId, bytes.length);
    expect((await patchUpload(url, userId, 0, bytes.subarray(0, MiB))).status).toBe(204);
    // What a process killed mid-request leaves: a part named, its file whole or not, no size.
    const leftover = randomUUID();
    await system.api.db.insert(resumableUploadParts).values({
      key: leftover,
      uploadId: new URL(url).pathname.split('/').pop() ?? '',
      offset: MiB,
      size: null,
    });
    await storeFileDirectly(system.fileStore.url, leftover, bytes.subarray(MiB, MiB + KiB));
    // The next request removes it first (not only the end of the upload).
    expect((await patchUpload(url, userId, MiB, bytes.subarray(MiB, MiB + KiB))).status).toBe(204);
    expect(await fileStoreHas(system.fileStore.url, leftover)).toBe(false);
    const last = await sendRest(url, userId, bytes, MiB);
    expect(sha256(await storedAudio(last.headers.get('sound-id') ?? ''))).toBe(sha256(bytes));
    await expectConsistent(system);
  });

  it('lets one of two requests appending at once win, and the other gets 409', async () => {
    const bytes = noiseWav(6 * MiB);
    const { url } = await createUpload(system.url, userId, bytes.length);
    const both = await Promise.all([
      patchUpload(url, userId, 0, bytes.subarray(0, 3 * MiB)),
      patchUpload(url, userId, 0, bytes.subarray(0, 3 * MiB)),
    ]);
    const statuses = both.map((response) => response.status).sort();
    expect(statuses).toContain(409);
    const last = await sendRest(url, userId, bytes, 2 * MiB);
    expect(sha256(await storedAudio(last.headers.get('sound-id') ?? ''))).toBe(sha256(bytes));
  });

  it('answers anyone else exactly as for an upload that does not exist', async () => {
    const bytes = noiseWav(MiB);
    const { url } = await createUpload(system.url, userId, bytes.length);
    leftOpen.push({ url, userId });
    const missing = url.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAAA');
    for (const target of [url, missing]) {
      expect((await headUpload(target, otherUserId)).status).toBe(404);
      const patched = await patchUpload(target, otherUserId, 0, bytes.subarray(0, KiB));
      expect(patched.status).toBe(404);
      expect(await patched.json()).toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
      expect((await cancelUpload(target, otherUserId)).status).toBe(404);
    }
    // Untouched by all that.
    expect(await offsetOf(url, userId)).toBe(0);
    await cancelLeftOpen();
  });

  it('refuses requests without the tus version, or without a user', async () => {
    const noVersion = await fetch(`${system.url}/uploads`, {
      method: 'POST',
      headers: { 'x-user-id': String(userId), 'upload-length': '100' },
    });
    expect(noVersion.status).toBe(412);
    expect(await noVersion.json()).toMatchObject({ code: 'TUS_VERSION_UNSUPPORTED' });
    const noUser = await fetch(`${system.url}/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': '100' },
    });
    expect(noUser.status).toBe(401);
  });
});

describe('what a resumable upload may not do', () => {
  it('is refused at its first bytes when they are plainly not sound, and nothing is kept', async () => {
    const bytes = Buffer.concat([PNG_BYTES, Buffer.alloc(200 * KiB)]);
    const { url } = await createUpload(system.url, userId, bytes.length, { filename: 'a.png' });
    const before = await system.countStoredFiles();
    const refused = await patchUpload(url, userId, 0, bytes);
    expect(refused.status).toBe(415);
    expect(await refused.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect((await headUpload(url, userId)).status).toBe(404);
    expect(await system.countStoredFiles()).toBe(before);
  });

  it('is larger than RESUMABLE_MAX_BYTES: 413', async () => {
    const { response } = await createUpload(system.url, userId, MAX_BYTES + 1);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'UPLOAD_TOO_LARGE' });
  });

  it('goes past the caps on unfinished uploads and their bytes: 429 with the reason', async () => {
    for (let count = 0; count < 3; count++) {
      const { response, url } = await createUpload(system.url, userId, MiB);
      expect(response.status).toBe(201);
      leftOpen.push({ url, userId });
    }
    const fourth = await createUpload(system.url, userId, MiB);
    expect(fourth.response.status).toBe(429);
    expect(await fourth.response.json()).toMatchObject({ code: 'TOO_MANY_UNFINISHED_UPLOADS' });
    await cancelLeftOpen();

    const big = await createUpload(system.url, userId, 35 * MiB);
    leftOpen.push({ url: big.url, userId });
    const tooMuch = await createUpload(system.url, userId, 30 * MiB);
    expect(tooMuch.response.status).toBe(429);
    expect(await tooMuch.response.json()).toMatchObject({ code: 'UNFINISHED_UPLOAD_BYTES' });
    await cancelLeftOpen();
  });

  it('is cancelled (tus termination): its parts, which the audit knows, leave file_store', async () => {
    const bytes = noiseWav(3 * MiB);
    const before = await system.countStoredFiles();
    const { url } = await createUpload(system.url, userId, bytes.length);
    await patchUpload(url, userId, 0, bytes.subarray(0, MiB));
    await patchUpload(url, userId, MiB, bytes.subarray(MiB, 2 * MiB));
    expect(await system.countStoredFiles()).toBe(before + 2);
    // Its parts are accounted for: the audit finds no orphan while the upload is unfinished.
    await expectConsistent(system);
    expect((await cancelUpload(url, userId)).status).toBe(204);
    expect((await headUpload(url, userId)).status).toBe(404);
    expect(await system.countStoredFiles()).toBe(before);
  });
});

describe('expiry', () => {
  let expiring: TestSystem;
  let owner: number;
  beforeAll(async () => {
    expiring = await startSystem({ RESUMABLE_EXPIRY_MS: '1000', REAPER_INTERVAL_MS: '3600000' });
    owner = await expiring.createUser();
  });
  afterAll(() => expiring?.close());

  it('ends an unfinished upload (410) and the reaper removes its parts', async () => {
    const bytes = noiseWav(2 * MiB);
    const before = await expiring.countStoredFiles();
    const { url } = await createUpload(expiring.url, owner, bytes.length);
    expect((await patchUpload(url, owner, 0, bytes.subarray(0, MiB))).status).toBe(204);
    expect(await expiring.countStoredFiles()).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const late = await patchUpload(url, owner, MiB, bytes.subarray(MiB));
    expect(late.status).toBe(410);
    expect(await late.json()).toMatchObject({ code: 'UPLOAD_EXPIRED' });

    expect(await expiring.api.resumableUploads.reap()).toBe(1);
    expect((await headUpload(url, owner)).status).toBe(404);
    expect(await expiring.countStoredFiles()).toBe(before);
    await expectConsistent(expiring);
  });
});

describe('file_store failing as the last byte arrives', () => {
  let faulty: FaultySystem;
  let owner: number;
  beforeAll(async () => {
    faulty = await startFaultySystem('file_store', { REAPER_STALE_AFTER_MS: '1000' });
    owner = await faulty.system.createUser();
  });
  afterAll(() => faulty?.close());

  it('keeps the complete upload, and its next HEAD publishes it', async () => {
    const { system, proxy } = faulty;
    const bytes = noiseWav(512 * KiB);
    const { url } = await createUpload(system.url, owner, bytes.length);
    // file_store composes the parts, and then its answer is lost and it goes away.
    await proxy.set({
      mode: 'crash-before-reply',
      matches: (reply) => reply.includes('"size"'),
    });
    const last = await patchUpload(url, owner, 0, bytes);
    expect(last.status).toBe(503);
    expect((await headUpload(url, owner)).status).toBe(503);

    await proxy.set({ mode: 'pass' });
    const head = await headUpload(url, owner);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
    const soundId = head.headers.get('sound-id') ?? '';
    const audio = await fetch(`${system.url}/sounds/${soundId}/audio`);
    expect(sha256(Buffer.from(await audio.arrayBuffer()))).toBe(sha256(bytes));
    // The first attempt's sound row and file are the reaper's, like any upload cut short.
    await reapAndAudit(system);
  });
});

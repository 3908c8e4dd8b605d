import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, PNG_BYTES, wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

const LIMIT = 256 * 1024;

let system: TestSystem;
let userId: number;
beforeAll(async () => {
  system = await startSystem({ MAX_UPLOAD_BYTES: String(LIMIT) });
  userId = await system.createUser();
});
afterAll(() => system?.close());

interface SoundBody {
  id: string;
  title: string;
  filename: string;
  contentType: string;
  size: number;
  durationMs: number | null;
  userId: number;
  audioUrl: string;
  createdAt: string;
}

async function listedIds(): Promise<string[]> {
  const body = await json<{ items: SoundBody[] }>(await fetch(`${system.url}/sounds?limit=100`));
  return body.items.map((sound) => sound.id);
}

describe('POST /sounds', () => {
  it('stores a WAV and answers 201 with the sound, which is then listed and playable', async () => {
    const bytes = wavTone({ seconds: 2 });
    const response = await uploadSound(system.url, { userId, bytes, filename: 'tone.wav' });
    expect(response.status).toBe(201);
    const sound = await json<SoundBody>(response);
    expect(sound).toMatchObject({
      title: 'tone',
      filename: 'tone.wav',
      contentType: 'audio/wav',
      size: bytes.length,
      durationMs: 2000,
      userId,
      audioUrl: `http://cloud-sound.test/sounds/${sound.id}/audio`,
    });
    expect(Date.parse(sound.createdAt)).not.toBeNaN();
    expect(await listedIds()).toContain(sound.id);
    const audio = await fetch(`${system.url}/sounds/${sound.id}/audio`);
    expect(Buffer.from(await audio.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it.each([
    ['tone.mp3', 'audio/mpeg'],
    ['tone.ogg', 'audio/ogg'],
    ['tone.opus', 'audio/ogg; codecs=opus'],
    ['tone.flac', 'audio/flac'],
    ['tone.m4a', 'audio/mp4'],
    ['tone.webm', 'audio/webm'],
    ['tone.aiff', 'audio/aiff'],
  ])('recognises %s as %s from its bytes', async (name, contentType) => {
    // The filename says nothing: detection must come from the content.
    const response = await uploadSound(system.url, {
      userId,
      bytes: fixture(name),
      filename: 'upload.bin',
    });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ contentType, size: fixture(name).length });
  });

  it.each(['tone.mp3', 'tone.ogg', 'tone.flac'])('measures the duration of %s', async (name) => {
    const response = await uploadSound(system.url, {
      userId,
      bytes: fixture(name),
      filename: name,
    });
    const { durationMs } = await json<SoundBody>(response);
    // One second of tone; encoders pad a few frames.
    expect(durationMs).toBeGreaterThanOrEqual(950);
    expect(durationMs).toBeLessThanOrEqual(1150);
  });

  it('says in Server-Timing where the 201 took its time: user check, quota, store, ffprobe, publish', async () => {
    const response = await uploadSound(system.url, { userId, bytes: wavTone() });
    expect(response.status).toBe(201);
    const metrics = (response.headers.get('server-timing') ?? '').split(', ').map((metric) => {
      const [name, duration] = metric.split(';');
      return [name, Number(duration?.replace('dur=', ''))] as const;
    });
    expect(metrics.map(([name]) => name)).toEqual(['user', 'quota', 'store', 'check', 'publish']);
    for (const [, ms] of metrics) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('keeps two different files with the same filename apart', async () => {
    const first = wavTone({ frequency: 440 });
    const second = wavTone({ frequency: 880 });
    const a = await json<SoundBody>(
      await uploadSound(system.url, { userId, bytes: first, filename: 'same.wav' }),
    );
    const b = await json<SoundBody>(
      await uploadSound(system.url, { userId, bytes: second, filename: 'same.wav' }),
    );
    expect(a.id).not.toBe(b.id);
    expect(a.filename).toBe(b.filename);
    const bytesA = Buffer.from(
      await (await fetch(`${system.url}/sounds/${a.id}/audio`)).arrayBuffer(),
    );
    const bytesB = Buffer.from(
      await (await fetch(`${system.url}/sounds/${b.id}/audio`)).arrayBuffer(),
    );
    expect(bytesA.equals(first)).toBe(true);
    expect(bytesB.equals(second)).toBe(true);
  });

  it('takes the title from the title field, before or after the file', async () => {
    const before = await uploadSound(system.url, {
      userId,
      bytes: wavTone(),
      title: '  Morning birds ',
    });
    expect(await json(before)).toMatchObject({ title: 'Morning birds' });
    const after = await uploadSound(system.url, {
      userId,
      bytes: wavTone(),
      extraParts: [['title', 'Late title']],
    });
    expect(await json(after)).toMatchObject({ title: 'Late title' });
  });

  it('takes the filename for a title that is nothing but invisible characters', async () => {
    const response = await uploadSound(system.url, {
      userId,
      bytes: wavTone(),
      filename: 'Morning\u200B birds\uFEFF.wav',
      title: '\u200B\uFEFF\u2060\u202E',
    });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({
      filename: 'Morning birds.wav',
      title: 'Morning birds',
    });
  });

  it('keeps only the last segment of a filename with folders, without control characters', async () => {
    // (FormData would percent-encode CR and LF itself, so a tab and a bell stand in for them;
    // the tab, like a line break, becomes a space.)
    const response = await uploadSound(system.url, {
      userId,
      bytes: wavTone(),
      filename: 'C:\\music\\..\\bad\t\u0007name.wav',
    });
    expect(await json(response)).toMatchObject({ filename: 'bad name.wav', title: 'bad name' });
  });

  async function expectRejected(response: Response, status: number, code: string) {
    expect(response.status).toBe(status);
    expect(await json(response)).toMatchObject({ statusCode: status, code });
  }

  it('answers 400 TITLE_TOO_LONG for a title over 200 characters and stores nothing', async () => {
    const before = await listedIds();
    await expectRejected(
      await uploadSound(system.url, { userId, bytes: wavTone(), title: 'x'.repeat(201) }),
      400,
      'TITLE_TOO_LONG',
    );
    await expectRejected(
      await uploadSound(system.url, {
        userId,
        bytes: wavTone(),
        extraParts: [['title', 'y'.repeat(201)]],
      }),
      400,
      'TITLE_TOO_LONG',
    );
    // 250 four-byte characters: long enough in bytes that the parser cuts the field short.
    await expectRejected(
      await uploadSound(system.url, { userId, bytes: wavTone(), title: '🎵'.repeat(250) }),
      400,
      'TITLE_TOO_LONG',
    );
    expect(await listedIds()).toEqual(before);
  });

  it('accepts a title of exactly 200 characters, even four-byte ones', async () => {
    const title = '🎵'.repeat(100) + 'x'.repeat(100);
    const response = await uploadSound(system.url, { userId, bytes: wavTone(), title });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ title });
  });

  it('answers 415 for a PNG named .mp3 and for a text file, storing nothing', async () => {
    const before = await listedIds();
    await expectRejected(
      await uploadSound(system.url, { userId, bytes: PNG_BYTES, filename: 'song.mp3' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectRejected(
      await uploadSound(system.url, {
        userId,
        bytes: Buffer.from('just some words\n'.repeat(50)),
        filename: 'notes.wav',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(await listedIds()).toEqual(before);
  });

  it('answers 413 FILE_TOO_LARGE over MAX_UPLOAD_BYTES and stores nothing', async () => {
    const before = await listedIds();
    const bytes = wavTone({ seconds: (LIMIT / 16000) * 1.5 });
    await expectRejected(await uploadSound(system.url, { userId, bytes }), 413, 'FILE_TOO_LARGE');
    expect(await listedIds()).toEqual(before);
    expect(await system.countStoredFiles()).toBe(before.length);
  });

  it('answers 400 for no file, an empty file, two files and an unknown field', async () => {
    const post = (form: FormData) =>
      fetch(`${system.url}/sounds`, {
        method: 'POST',
        headers: { 'x-user-id': String(userId) },
        body: form,
      });
    const titleOnly = new FormData();
    titleOnly.append('title', 'nothing');
    await expectRejected(await post(titleOnly), 400, 'NO_FILE');

    await expectRejected(
      await uploadSound(system.url, { userId, bytes: new Uint8Array(0) }),
      400,
      'EMPTY_FILE',
    );

    const two = new FormData();
    two.append('file', new Blob([wavTone()]), 'a.wav');
    two.append('file', new Blob([wavTone()]), 'b.wav');
    const before = await listedIds();
    await expectRejected(await post(two), 400, 'TOO_MANY_FILES');
    expect(await listedIds()).toEqual(before);

    await expectRejected(
      await uploadSound(system.url, { userId, bytes: wavTone(), extraParts: [['colour', 'blue']] }),
      400,
      'UNEXPECTED_FIELD',
    );
    expect(await listedIds()).toEqual(before);
  });

  it('answers 415 NOT_MULTIPART for a JSON body', async () => {
    const response = await fetch(`${system.url}/sounds`, {
      method: 'POST',
      headers: { 'x-user-id': String(userId), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
  });

  it('answers 401 without a user and 400 for a malformed user id, storing nothing', async () => {
    await expectRejected(await uploadSound(system.url, { bytes: wavTone() }), 401, 'AUTH_REQUIRED');
    await expectRejected(
      await uploadSound(system.url, { userId: '2147483646', bytes: wavTone() }),
      401,
      'UNKNOWN_USER',
    );
    await expectRejected(
      await uploadSound(system.url, { userId: 'abc', bytes: wavTone() }),
      400,
      'INVALID_USER_ID',
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

interface Limits {
  userId: { minimum: number; maximum: number };
  title: { maxLength: number };
  page: { default: number; maximum: number };
  upload: {
    maxBytes: number;
    resumableMaxBytes: number;
    formats: Array<{ name: string; types: string[]; extensions: string[] }>;
  };
}

let system: TestSystem;
let limits: Limits;
let userId: number;
beforeAll(async () => {
  system = await startSystem({ MAX_UPLOAD_BYTES: '123456', RESUMABLE_MAX_BYTES: '654321' });
  userId = await system.createUser();
  limits = await json<Limits>(await fetch(`${system.url}/limits`));
});
afterAll(() => system?.close());

/**
 * GET /limits is what clients read instead of restating the contract; each number it gives
 * must be the one the API enforces, just inside and just outside.
 */
describe('GET /limits', () => {
  it('gives the upload limits as this API is configured, and the accepted families', () => {
    expect(limits.upload.maxBytes).toBe(123_456);
    expect(limits.upload.resumableMaxBytes).toBe(654_321);
    const names = limits.upload.formats.map((format) => format.name).join(', ');
    for (const family of ['MP3', 'WAV', 'AIFF', 'FLAC', 'ALAC', 'Ogg', 'Opus', 'M4A', 'AAC']) {
      expect(names).toContain(family);
    }
    for (const family of ['WebM', 'Matroska', 'WMA', 'AMR', 'CAF', 'WavPack', 'AC-3', 'AU']) {
      expect(names).toContain(family);
    }
    // Each with what a file picker needs.
    for (const format of limits.upload.formats) {
      expect(format.extensions.every((extension) => extension.startsWith('.'))).toBe(true);
      expect(format.types.every((type) => type.startsWith('audio/'))).toBe(true);
    }
  });

  it('gives the user id range the API enforces', async () => {
    const me = (id: number) =>
      fetch(`${system.url}/me`, { headers: { 'x-user-id': String(id) } }).then((r) => r.status);
    expect(await me(limits.userId.maximum)).toBe(401); // well formed, unregistered
    expect(await me(limits.userId.maximum + 1)).toBe(400);
    expect(await me(limits.userId.minimum - 1)).toBe(400);
  });

  it('gives the title length the API enforces', async () => {
    const upload = (title: string) => uploadSound(system.url, { userId, bytes: wavTone(), title });
    expect((await upload('é'.repeat(limits.title.maxLength))).status).toBe(201);
    expect((await upload('é'.repeat(limits.title.maxLength + 1))).status).toBe(400);
  });

  it('gives the page sizes the API enforces', async () => {
    for (let i = 0; i < limits.page.default + 1; i++) {
      await uploadSound(system.url, { userId, bytes: wavTone({ seconds: 0.05 }) });
    }
    const page = await json<{ items: unknown[] }>(await fetch(`${system.url}/sounds`));
    expect(page.items).toHaveLength(limits.page.default);
    const listed = (limit: number) =>
      fetch(`${system.url}/sounds?limit=${limit}`).then((r) => r.status);
    expect(await listed(limits.page.maximum)).toBe(200);
    expect(await listed(limits.page.maximum + 1)).toBe(400);
  });

  it('may be cached for a while', async () => {
    const response = await fetch(`${system.url}/limits`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from '../src/db/orm.ts';
import { soundsTable } from '../src/db/schema.ts';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

/**
 * A listed sound whose file has gone from file_store behind the API's back (a restored backup,
 * an operator's mistake): a fault that retrying cannot heal, so 404 FILE_MISSING rather than
 * 503 STORAGE_UNAVAILABLE, logged as an error once per file and counted in /ready.
 */

let system: TestSystem;
let userId: number;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  system = await startSystem(
    // Rows changed behind the API's back are read at once.
    { READ_CACHE_TTL_MS: '0' },
    { logTo: { write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>) } },
  );
  userId = await system.createUser();
});
afterAll(() => system?.close());

async function uploadWithoutFile(): Promise<{ id: string; storageKey: string }> {
  const { id } = await json<{ id: string }>(
    await uploadSound(system.url, { userId, bytes: wavTone() }),
  );
  const [row] = await system.api.db.select().from(soundsTable).where(eq(soundsTable.id, id));
  const storageKey = row?.storageKey ?? '';
  const removed = await fetch(`${system.fileStore.url}/files/${storageKey}`, { method: 'DELETE' });
  expect(removed.status).toBe(204);
  return { id, storageKey };
}

async function missingFilesSeen(): Promise<number> {
  const response = await fetch(`${system.url}/ready`);
  // Not a reason to take this replica out of a load balancer.
  expect(response.status).toBe(200);
  return (await json<{ missingFiles: number }>(response)).missingFiles;
}

const errorsLogged = (soundId: string) =>
  logLines.filter((line) => line.msg === 'a ready sound has no file' && line.soundId === soundId);

describe('a listed sound whose file is missing', () => {
  it('answers 404 FILE_MISSING (not 503), logs it once as an error, and counts it in /ready', async () => {
    expect(await missingFilesSeen()).toBe(0);
    const { id, storageKey } = await uploadWithoutFile();
    // Still listed: only the audit can tell what happened to it.
    expect((await fetch(`${system.url}/sounds/${id}`)).status).toBe(200);

    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await fetch(`${system.url}/sounds/${id}/audio`, {
        headers: attempt === 1 ? { range: 'bytes=0-1' } : {},
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `The original of sound ${id} is missing from storage; it cannot be played until the operator restores it`,
        code: 'FILE_MISSING',
      });
    }
    const head = await fetch(`${system.url}/sounds/${id}/audio`, { method: 'HEAD' });
    expect(head.status).toBe(404);

    expect(await missingFilesSeen()).toBe(1);
    expect(errorsLogged(id)).toEqual([
      expect.objectContaining({ level: 50, file: 'original', key: storageKey }),
    ]);
  });

  it('counts each missing file once, the rendition and waveform too', async () => {
    const before = await missingFilesSeen();
    const { id } = await uploadWithoutFile();
    // Processed, as far as the row says, into files file_store never got.
    await system.api.db
      .update(soundsTable)
      .set({
        processing: 'ready',
        streamKey: randomUUID(),
        streamContentType: 'audio/mpeg',
        streamSize: 1000,
        waveformKey: randomUUID(),
      })
      .where(eq(soundsTable.id, id));
    for (const [path, what] of [
      ['stream', 'rendition'],
      ['waveform', 'waveform'],
      ['stream', 'rendition'],
    ] as const) {
      const response = await fetch(`${system.url}/sounds/${id}/${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({
        code: 'FILE_MISSING',
        message: expect.stringContaining(`The ${what} of sound ${id}`),
      });
    }
    expect(await missingFilesSeen()).toBe(before + 2);
    expect(errorsLogged(id).map((line) => line.file)).toEqual(['rendition', 'waveform']);
  });

  it('still answers 503 STORAGE_UNAVAILABLE while file_store itself is down', async () => {
    const { id } = await json<{ id: string }>(
      await uploadSound(system.url, { userId, bytes: wavTone() }),
    );
    const before = await missingFilesSeen();
    await system.fileStore.stop();
    try {
      const response = await fetch(`${system.url}/sounds/${id}/audio`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await system.fileStore.start();
    }
    expect(await missingFilesSeen()).toBe(before);
  });
});

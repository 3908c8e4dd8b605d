import { wavTone } from '@cloud-sound/server/testing/audio';
import { fileStoreHas } from '@cloud-sound/server/testing/audit';
import { fileStoreTempBytes } from '@cloud-sound/server/testing/file-store-temp';
import { json, uploadSound } from '@cloud-sound/server/testing/http';
import { startStallingProxy } from '@cloud-sound/server/testing/stalling-proxy';
import { type StreamedUpload, streamWavUpload } from '@cloud-sound/server/testing/streamed-upload';
import { waitUntil } from '@cloud-sound/server/testing/wait';
import type { Program } from '@cloud-sound/system';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SoundRow, startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * The API process killed (SIGKILL: no cleanup code runs) in the middle of uploads and deletes
 * leaves `uploading` and `deleting` rows behind; the next API process's reaper must finish the
 * job. Meanwhile nothing half-done may be listed, and afterwards the audit must be clean: no
 * listed sound without its file, no stored file without its row.
 */

const MiB = 1024 * 1024;
const SMALL_WAV = wavTone({ seconds: 0.2 });
// The killed API must not reap before the kill; the restarted one reaps quickly.
const NO_REAPING = { REAPER_INTERVAL_MS: '3600000' };
const QUICK_REAPING = { REAPER_INTERVAL_MS: '200' };

type Api = Program<'api'>;

let system: TestSystem;
beforeEach(async () => {
  system = await startTestSystem({ api: { REAPER_STALE_AFTER_MS: '1000', ...NO_REAPING } });
});
afterEach(() => system?.close());

async function uploadSmallSound(api: Api, userId: number): Promise<string> {
  const response = await uploadSound(api.url, { userId, bytes: SMALL_WAV });
  expect(response.status).toBe(201);
  return (await json<{ id: string }>(response)).id;
}

function deleteSound(api: Api, userId: number, id: string): Promise<Response> {
  const answer = fetch(`${api.url}/sounds/${id}`, {
    method: 'DELETE',
    headers: { 'x-user-id': String(userId) },
  });
  // Most are cut off by the kill; the tests look at them through allSettled when they care.
  answer.catch(() => {});
  return answer;
}

async function listedIds(api: Api): Promise<string[]> {
  const list = await json<{ items: Array<{ id: string }> }>(
    await fetch(`${api.url}/sounds?limit=100`),
  );
  return list.items.map((sound) => sound.id);
}

/** Every listed sound plays, whole: the listing never shows a sound whose file is gone. */
async function expectEveryListedSoundPlays(api: Api): Promise<void> {
  for (const id of await listedIds(api)) {
    const audio = await fetch(`${api.url}/sounds/${id}/audio`);
    expect(audio.status, `sound ${id}`).toBe(200);
    expect((await audio.arrayBuffer()).byteLength).toBe(SMALL_WAV.length);
  }
}

/** Ids of the rows the API's reaper says it removed, from its log. */
function reapedIds(api: Api): string[] {
  return api
    .output()
    .split('\n')
    .filter((line) => line.includes('"reaper removed an unfinished sound"'))
    .map((line) => (JSON.parse(line) as { soundId: string }).soundId);
}

const readRows = (): Promise<SoundRow[]> => system.readSounds();

/** A streamed upload held mid-body, with part of its file in file_store, until `release`. */
function uploadHeldMidBody(api: Api, userId: number, release: Promise<void>): StreamedUpload {
  return streamWavUpload(api.url, {
    userId,
    dataBytes: 20 * MiB,
    beforeChunk: async (sent) => {
      if (sent >= 2 * MiB) await release;
    },
  });
}

/** Waits until file_store is receiving `count` uploads, each with some bytes already written. */
async function waitForPartialUploads(count: number): Promise<void> {
  await waitUntil(`file_store to receive ${count} uploads`, async () => {
    const sizes = await fileStoreTempBytes(system.fileStore.dataDir);
    return sizes.length === count && sizes.every((bytes) => bytes > 256 * 1024);
  });
}

async function waitForNoPartialUploads(): Promise<void> {
  await waitUntil(
    'file_store to drop the partial uploads',
    async () => (await fileStoreTempBytes(system.fileStore.dataDir)).length === 0,
  );
}

async function kill(api: Api): Promise<void> {
  expect(await api.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
}

/** Stops the API cleanly (so PGlite can be opened) and checks it exited well. */
async function stopCleanly(api: Api): Promise<void> {
  expect((await api.kill('SIGTERM')).code).toBe(0);
}

describe('the API killed mid-upload', () => {
  it('leaves nothing listed, and the restarted API reaps the abandoned upload', async () => {
    const userId = await system.createUser();
    const first = system.api;

    let killed = false;
    const upload = streamWavUpload(first.url, {
      userId,
      dataBytes: 20 * MiB,
      beforeChunk: async (sent) => {
        if (sent < 2 * MiB || killed) return;
        await waitForPartialUploads(1);
        killed = true;
        await kill(first);
      },
    });
    await expect(upload.response).rejects.toThrow();
    expect(upload.hookError()).toBeUndefined();
    expect(killed).toBe(true);

    // What the crash left: an `uploading` row, no file (file_store dropped the partial one).
    const left = await readRows();
    expect(left.map((row) => row.status)).toEqual(['uploading']);
    const abandonedId = left[0]?.id as string;
    await waitForNoPartialUploads();

    // The next process reaps it once it is stale: at start-up or on its (short) interval.
    const second = system.api;
    await second.start({ settings: QUICK_REAPING });
    expect(await listedIds(second)).toEqual([]);
    expect((await fetch(`${second.url}/sounds/${abandonedId}`)).status).toBe(404);
    await second.waitForLog(
      (line) => line.msg === 'reaper removed an unfinished sound' && line.soundId === abandonedId,
    );
    await stopCleanly(second);

    expect(await readRows()).toEqual([]);
    await system.expectConsistent();
  });
});

describe('the API killed mid-delete', () => {
  it('at either side of the file removal: the sound is unlisted at once, and the reaper finishes the delete', async () => {
    const userId = await system.createUser();
    const proxy = await startStallingProxy(system.fileStore.url);
    const first = system.api;
    await first.restart({ settings: { FILE_STORE_URL: proxy.url } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await uploadSmallSound(first, userId));
    // Listed once, so the page sits in the listing cache while the deletes below run.
    expect(await listedIds(first)).toHaveLength(6);
    const [fileKept, fileKept2, fileGone, fileGone2, kept, kept2] = ids as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];

    // Two deletes stopped between `ready → deleting` and the file removal…
    proxy.stall('DELETE', 'request');
    for (const id of [fileKept, fileKept2]) deleteSound(first, userId, id);
    await waitUntil(
      '2 deletes to reach file_store',
      () => proxy.stalled('DELETE', 'request') === 2,
    );
    // …and two between the file removal and the row's deletion.
    proxy.stall('DELETE', 'response');
    for (const id of [fileGone, fileGone2]) deleteSound(first, userId, id);
    await waitUntil(
      'file_store to delete 2 files',
      () => proxy.stalled('DELETE', 'response') === 2,
    );

    // The sounds being deleted left the listing as soon as their rows turned `deleting`.
    expect((await listedIds(first)).sort()).toEqual([kept, kept2].sort());
    await kill(first);
    await proxy.close();

    // The kill landed where intended: four `deleting` rows, two of them still with their file.
    const left = await readRows();
    const statusOf = Object.fromEntries(left.map((row) => [row.id, row.status]));
    expect(statusOf).toEqual({
      [fileKept]: 'deleting',
      [fileKept2]: 'deleting',
      [fileGone]: 'deleting',
      [fileGone2]: 'deleting',
      [kept]: 'ready',
      [kept2]: 'ready',
    });
    const hasFile = async (id: string) =>
      fileStoreHas(system.fileStore.url, left.find((row) => row.id === id)?.storageKey as string);
    expect(await Promise.all([fileKept, fileKept2, fileGone, fileGone2].map(hasFile))).toEqual([
      true,
      true,
      false,
      false,
    ]);

    const second = system.api;
    await second.start({ settings: QUICK_REAPING });
    expect((await listedIds(second)).sort()).toEqual([kept, kept2].sort());
    for (const id of [fileKept, fileGone]) {
      expect((await fetch(`${second.url}/sounds/${id}`)).status).toBe(404);
      expect((await fetch(`${second.url}/sounds/${id}/audio`)).status).toBe(404);
    }
    await waitUntil('the reaper to finish the 4 deletes', () => reapedIds(second).length === 4);
    expect(reapedIds(second).sort()).toEqual([fileKept, fileKept2, fileGone, fileGone2].sort());
    await expectEveryListedSoundPlays(second);
    await stopCleanly(second);

    expect((await readRows()).map((row) => [row.id, row.status]).sort()).toEqual(
      [
        [kept, 'ready'],
        [kept2, 'ready'],
      ].sort(),
    );
    await system.expectConsistent();
  });
});

describe('the API killed with uploads and deletes in flight', () => {
  it('keeps every sound either whole and listed or gone, once the reaper has run', async () => {
    const userId = await system.createUser();
    const proxy = await startStallingProxy(system.fileStore.url);
    const first = system.api;
    await first.restart({ settings: { FILE_STORE_URL: proxy.url } });
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push(await uploadSmallSound(first, userId));
    const keepers = ids.slice(0, 4);
    const victims = ids.slice(4);

    // Two uploads whose files file_store has stored whole, but whose rows are not yet `ready`…
    proxy.stall('POST', 'response');
    const stored = [0, 1].map(() => uploadSound(first.url, { userId, bytes: SMALL_WAV }));
    for (const upload of stored) upload.catch(() => {});
    await waitUntil('file_store to store 2 files', () => proxy.stalled('POST', 'response') === 2);
    // …two uploads halfway through their bytes…
    let releaseUploads = () => {};
    const released = new Promise<void>((resolve) => {
      releaseUploads = resolve;
    });
    const streaming = [0, 1].map(() => uploadHeldMidBody(first, userId, released));
    await waitForPartialUploads(2);
    // …and twelve deletes at once, killed as soon as the first has been answered: the others
    // are at whatever step they reached.
    const deletes = victims.map((id) => deleteSound(first, userId, id));
    await Promise.any(deletes);
    await kill(first);
    releaseUploads();
    await proxy.close();

    const settled = await Promise.allSettled(deletes);
    const deleted = victims.filter((_, i) => {
      const outcome = settled[i];
      return outcome?.status === 'fulfilled' && outcome.value.status === 204;
    });
    expect(deleted.length).toBeGreaterThan(0);
    for (const upload of [...stored, ...streaming.map((upload) => upload.response)]) {
      await expect(upload).rejects.toThrow();
    }
    await waitForNoPartialUploads();

    const left = await readRows();
    const unfinished = left.filter((row) => row.status !== 'ready');
    const count = (status: string) => unfinished.filter((row) => row.status === status).length;
    expect(count('uploading')).toBe(4);
    console.log(
      `killed with ${victims.length} deletes in flight: ${deleted.length} answered 204, ` +
        `${count('deleting')} left deleting, ` +
        `${left.filter((row) => row.status === 'ready').length - keepers.length} still ready`,
    );

    const second = system.api;
    await second.start({ settings: QUICK_REAPING });
    const listed = await listedIds(second);
    for (const row of unfinished) expect(listed).not.toContain(row.id);
    await waitUntil(
      `the reaper to remove ${unfinished.length} unfinished rows`,
      () => reapedIds(second).length === unfinished.length,
    );
    expect(reapedIds(second).sort()).toEqual(unfinished.map((row) => row.id).sort());
    // A delete the client saw succeed stays done; what was never touched stays listed.
    const listedAfter = await listedIds(second);
    for (const id of deleted) expect(listedAfter).not.toContain(id);
    for (const id of keepers) expect(listedAfter).toContain(id);
    await expectEveryListedSoundPlays(second);
    await stopCleanly(second);

    const rows = await readRows();
    expect(rows.every((row) => row.status === 'ready')).toBe(true);
    expect(rows.map((row) => row.id).sort()).toEqual(listedAfter.sort());
    await system.expectConsistent();
  });
});

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { eq } from '../src/db/orm.ts';
import { soundsTable } from '../src/db/schema.ts';
import { reapUnfinishedSounds } from '../src/sounds/reaper.ts';
import { wavTone } from './helpers/audio.ts';
import {
  type AuditTarget,
  auditConsistency,
  expectConsistent,
  fileStoreHas,
  insertUnfinishedSound,
} from './helpers/audit.ts';
import { fileStoreTempBytes } from './helpers/file-store-temp.ts';
import { json, uploadSound } from './helpers/http.ts';
import { streamWavUpload } from './helpers/streamed-upload.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';
import { sleep, waitUntil } from './helpers/wait.ts';

/**
 * DESIGN.md's consistency goal under real faults: file_store down or killed, a client that
 * goes away, an API that stopped between steps, concurrent deletes and reapers. Each test
 * injects one fault, checks that nothing half-done is listed or served, then runs the reaper
 * (past the staleness limit) and audits: no row without its file, no file without its row.
 */

const STALE_AFTER_MS = 1000;
const MiB = 1024 * 1024;

let system: TestSystem;
let userId: number;
let target: AuditTarget;
beforeAll(async () => {
  system = await startSystem({
    REAPER_STALE_AFTER_MS: String(STALE_AFTER_MS),
    // Never on its own during a test: each test runs the reaper when it means to.
    REAPER_INTERVAL_MS: '3600000',
  });
  userId = await system.createUser();
  target = { db: system.api.db, fileStore: system.fileStore };
});
afterAll(async () => {
  await system?.close();
});
// One system for the file (starting one takes seconds); each test starts from an empty one,
// even after a test that failed half-way with file_store stopped.
beforeEach(async () => {
  const fileStoreUp = await fetch(`${system.fileStore.url}/health`)
    .then((response) => response.ok)
    .catch(() => false);
  if (!fileStoreUp) await system.fileStore.start();
  // Let any reaper pass in progress (the start-up one) finish, so a later reap() is its own.
  await system.api.reap();
  await system.api.db.delete(soundsTable);
  for (const folder of ['files', 'composites', 'tmp']) {
    const dir = join(system.fileStore.dataDir, folder);
    for (const name of await readdir(dir).catch(() => [])) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
});

interface SoundBody {
  id: string;
  size: number;
}

async function listedIds(): Promise<string[]> {
  const body = await json<{ items: SoundBody[] }>(await fetch(`${system.url}/sounds?limit=100`));
  return body.items.map((sound) => sound.id);
}

async function allRows() {
  return system.api.db.select().from(soundsTable);
}

/** A sound that is not `ready` must be invisible: not listed, not found, not played. */
async function expectNotServed(soundId: string): Promise<void> {
  expect(await listedIds()).not.toContain(soundId);
  expect((await fetch(`${system.url}/sounds/${soundId}`)).status).toBe(404);
  const audio = await fetch(`${system.url}/sounds/${soundId}/audio`);
  expect(audio.status).toBe(404);
  await audio.body?.cancel();
}

/** Waits out the staleness limit, then runs one reaper pass; returns the rows it removed. */
async function reapAfterStaleness(): Promise<number> {
  await sleep(STALE_AFTER_MS + 300);
  return system.api.reap();
}

async function uploadReady(bytes = wavTone()): Promise<SoundBody> {
  const response = await uploadSound(system.url, { userId, bytes });
  expect(response.status).toBe(201);
  return json<SoundBody>(response);
}

describe('consistency after a failure', () => {
  it('file_store down before the upload: 503, nothing listed; the reaper removes the leftover row', async () => {
    const kept = await uploadReady();
    await system.fileStore.stop();

    const response = await uploadSound(system.url, { userId, bytes: wavTone() });
    expect(response.status).toBe(503);
    expect(await json(response)).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(await listedIds()).toEqual([kept.id]);
    // The cleanup could not reach file_store either, so at most an `uploading` row remains.
    const leftovers = (await allRows()).filter((row) => row.id !== kept.id);
    for (const row of leftovers) {
      expect(row.status).toBe('uploading');
      await expectNotServed(row.id);
    }

    await system.fileStore.start();
    expect(await reapAfterStaleness()).toBe(leftovers.length);
    expect((await allRows()).map((row) => row.id)).toEqual([kept.id]);
    expect(await system.countStoredFiles()).toBe(1);
    await expectConsistent(system);
  });

  it('file_store killed midway through a 20 MiB upload: 503, nothing listed; reaped clean', async () => {
    let uploadingId: string | undefined;
    const upload = streamWavUpload(system.url, {
      userId,
      dataBytes: 20 * MiB,
      beforeChunk: async (sent) => {
        if (sent < 2 * MiB || uploadingId) return;
        // Bytes are reaching file_store's disk: the upload is truly in flight.
        await waitUntil('file_store to receive bytes', async () => {
          const [largest = 0] = await fileStoreTempBytes(system.fileStore.dataDir);
          return largest > 256 * 1024;
        });
        const [row] = await allRows();
        expect(row?.status).toBe('uploading');
        uploadingId = row?.id as string;
        await expectNotServed(uploadingId);
        await system.fileStore.stop();
        // The client pauses a moment, as slow clients do: the API has sent on all it had and
        // waits for more when file_store goes; that failure is still file_store's, not ours.
        await sleep(300);
      },
    });

    const outcome = await upload.response.then(
      async (response) => ({ status: response.status, body: await json(response) }),
      (error: unknown) => ({ status: 0, body: { error: String(error) } }),
    );
    expect(upload.hookError()).toBeUndefined();
    expect(uploadingId).toBeDefined();
    // The API must answer (503) unless the connection itself broke; never a success.
    if (outcome.status !== 0) {
      // soft: the cleanup below is checked even when the status is wrong
      expect.soft(outcome).toMatchObject({ status: 503, body: { code: 'STORAGE_UNAVAILABLE' } });
    }
    expect(await listedIds()).toEqual([]);
    await expectNotServed(uploadingId as string);
    // Whatever the API could not clean up (file_store is down) stays `uploading`, never `ready`.
    expect((await allRows()).map((row) => row.status)).not.toContain('ready');

    await system.fileStore.start();
    await reapAfterStaleness();
    expect(await allRows()).toEqual([]);
    expect(await system.countStoredFiles()).toBe(0);
    await expectConsistent(system);
  });

  it('client aborting midway: no row left ready, the API cleans up and takes the next upload', async () => {
    const controller = new AbortController();
    let aborted = false;
    const upload = streamWavUpload(system.url, {
      userId,
      dataBytes: 20 * MiB,
      signal: controller.signal,
      beforeChunk: async (sent) => {
        if (sent < 2 * MiB || aborted) return;
        await waitUntil('file_store to receive bytes', async () => {
          const [largest = 0] = await fileStoreTempBytes(system.fileStore.dataDir);
          return largest > 256 * 1024;
        });
        expect((await allRows()).map((row) => row.status)).toEqual(['uploading']);
        aborted = true;
        controller.abort();
      },
    });
    await expect(upload.response).rejects.toThrow();
    expect(upload.hookError()).toBeUndefined();
    expect(aborted).toBe(true);

    // The API notices the disconnect and removes the row and the partial file itself; a row
    // that stayed `uploading` would be kept fresh by a heartbeat that never ends.
    await waitUntil('the aborted upload to be cleaned up', async () => {
      const rows = await allRows();
      return rows.length === 0;
    });
    expect(await listedIds()).toEqual([]);
    await reapAfterStaleness();
    await expectConsistent(system);

    const next = await uploadReady();
    expect(await listedIds()).toEqual([next.id]);
    await expectConsistent(system);
  });

  it('file_store refusing the delete: 204, gone from the API at once; the reaper finishes it', async () => {
    const sound = await uploadReady();
    const [row] = await allRows();
    const storageKey = row?.storageKey as string;
    await system.fileStore.stop();

    const response = await fetch(`${system.url}/sounds/${sound.id}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(userId) },
    });
    expect(response.status).toBe(204);
    await expectNotServed(sound.id);
    expect((await allRows()).map((candidate) => candidate.status)).toEqual(['deleting']);
    // A second delete of a sound being deleted is a 404, not a second attempt.
    const again = await fetch(`${system.url}/sounds/${sound.id}`, {
      method: 'DELETE',
      headers: { 'x-user-id': String(userId) },
    });
    expect(again.status).toBe(404);

    await system.fileStore.start();
    // The file is still there until the reaper runs: the delete really was refused.
    expect(await fileStoreHas(system.fileStore.url, storageKey)).toBe(true);
    expect(await reapAfterStaleness()).toBe(1);
    expect(await allRows()).toEqual([]);
    expect(await fileStoreHas(system.fileStore.url, storageKey)).toBe(false);
    await expectConsistent(system);
  });

  it('API stopped between steps: stale uploading and deleting rows are reaped with their files, a fresh one is not', async () => {
    const kept = await uploadReady();
    const hourAgo = 60 * 60_000;
    const abandonedUpload = await insertUnfinishedSound(target, {
      userId,
      status: 'uploading',
      ageMs: hourAgo,
      file: wavTone(),
    });
    const unfinishedDelete = await insertUnfinishedSound(target, {
      userId,
      status: 'deleting',
      ageMs: hourAgo,
      file: wavTone(),
    });
    // An upload in progress: its heartbeat keeps updated_at recent.
    const liveUpload = await insertUnfinishedSound(target, {
      userId,
      status: 'uploading',
      ageMs: 0,
      file: wavTone(),
    });
    for (const { id } of [abandonedUpload, unfinishedDelete, liveUpload]) {
      await expectNotServed(id);
    }
    expect((await auditConsistency(system)).unfinishedRows).toHaveLength(3);

    expect(await system.api.reap()).toBe(2);
    const remaining = await allRows();
    expect(remaining.map((row) => row.id).sort()).toEqual([kept.id, liveUpload.id].sort());
    expect(await fileStoreHas(system.fileStore.url, abandonedUpload.storageKey)).toBe(false);
    expect(await fileStoreHas(system.fileStore.url, unfinishedDelete.storageKey)).toBe(false);
    expect(await fileStoreHas(system.fileStore.url, liveUpload.storageKey)).toBe(true);
    expect(await listedIds()).toEqual([kept.id]);

    // Once the live upload stops heart-beating (its API died too), it goes the same way.
    expect(await reapAfterStaleness()).toBe(1);
    expect((await allRows()).map((row) => row.id)).toEqual([kept.id]);
    await expectConsistent(system);
  });

  it('two concurrent deletes by the owner: one 204 and one 404, the file gone', async () => {
    const sound = await uploadReady();
    const [row] = await allRows();
    const remove = () =>
      fetch(`${system.url}/sounds/${sound.id}`, {
        method: 'DELETE',
        headers: { 'x-user-id': String(userId) },
      });
    const responses = await Promise.all([remove(), remove()]);
    expect(responses.map((response) => response.status).sort()).toEqual([204, 404]);
    expect(await fileStoreHas(system.fileStore.url, row?.storageKey as string)).toBe(false);
    expect(await allRows()).toEqual([]);
    await expectConsistent(system);
  });

  // On Postgres the second reaper is a second API instance (a replica); PGlite is one process,
  // so there it is a second reaper pass run concurrently inside the same one.
  it('two reapers at once never process a row twice', async () => {
    const otherDataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-replica-'));
    let replica: FastifyInstance | undefined;
    try {
      let reapElsewhere: () => Promise<number>;
      if (process.env.TEST_DATABASE_URL) {
        const started = await buildApp(
          { ...system.api.config, DATA_DIR: otherDataDir },
          { logger: false },
        );
        replica = started;
        await started.ready();
        // Its start-up pass, done before the stale rows exist.
        await started.reap();
        reapElsewhere = () => started.reap();
      } else {
        reapElsewhere = () =>
          reapUnfinishedSounds({
            db: system.api.db,
            fileStore: system.api.fileStore,
            log: system.api.log,
            staleAfterMs: system.api.config.REAPER_STALE_AFTER_MS,
          });
      }
      {
        const kept = await uploadReady();
        const staleRows = 40;
        await Promise.all(
          Array.from({ length: staleRows }, (_, index) =>
            insertUnfinishedSound(target, {
              userId,
              status: index % 2 === 0 ? 'uploading' : 'deleting',
              ageMs: 60 * 60_000,
              file: wavTone({ seconds: 0.1 }),
            }),
          ),
        );
        expect(await system.countStoredFiles()).toBe(staleRows + 1);

        const [first, second] = await Promise.all([system.api.reap(), reapElsewhere()]);
        expect((first ?? 0) + (second ?? 0)).toBe(staleRows);
        expect((await allRows()).map((row) => row.id)).toEqual([kept.id]);
        await expectConsistent(system);
        expect(
          await system.api.db.select().from(soundsTable).where(eq(soundsTable.status, 'ready')),
        ).toHaveLength(1);
      }
    } finally {
      await replica?.close();
      await rm(otherDataDir, { recursive: true, force: true });
    }
  });
});

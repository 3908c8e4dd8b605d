import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { soundsTable } from '../../src/db/schema.ts';
import { wavTone } from './audio.ts';
import { expectConsistent } from './audit.ts';
import { uploadSound } from './http.ts';
import type { TestSystem } from './system.ts';
import { sleep } from './wait.ts';

/**
 * The four operations the fault tests put through each fault (list, upload, playback,
 * delete), each reduced to what the API answered and how long it took to answer.
 */

export interface Outcome {
  /** The HTTP status; 0 when the request itself failed (connection reset, body cut off). */
  status: number;
  /** The error's stable `code`, for an error reply. */
  code?: string;
  /** Milliseconds until the whole answer (headers and body) was in. */
  ms: number;
  /** For a request that failed: why. */
  failure?: string;
}

/** Sends a request and reads its whole answer. */
export async function timed(send: () => Promise<Response>): Promise<Outcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let response: Response;
  try {
    response = await send();
  } catch (error) {
    return { status: 0, ms: elapsed(), failure: String((error as Error).cause ?? error) };
  }
  let body: ArrayBuffer;
  try {
    body = await response.arrayBuffer();
  } catch (error) {
    return { status: 0, ms: elapsed(), failure: `body cut off: ${String(error)}` };
  }
  const outcome: Outcome = { status: response.status, ms: elapsed() };
  if (response.status >= 400) {
    outcome.code = (JSON.parse(Buffer.from(body).toString()) as { code?: string }).code;
  }
  return outcome;
}

/** The operations every fault is tried on, and their status when all is well. */
export type Operation = 'list' | 'upload' | 'playback' | 'delete';
export const SUCCESS: Record<Operation, number> = {
  list: 200,
  upload: 201,
  playback: 200,
  delete: 204,
};

/** The API calls a user makes, as the web app makes them. */
export function userActions(system: TestSystem, userId: number) {
  const actions = {
    list: () => timed(() => fetch(`${system.url}/sounds?limit=100`)),
    upload: (bytes: Uint8Array = wavTone()) =>
      timed(() => uploadSound(system.url, { userId, bytes, filename: 'tone.wav' })),
    play: (soundId: string) => timed(() => fetch(`${system.url}/sounds/${soundId}/audio`)),
    remove: (soundId: string) =>
      timed(() =>
        fetch(`${system.url}/sounds/${soundId}`, {
          method: 'DELETE',
          headers: { 'x-user-id': String(userId) },
        }),
      ),
  };
  const byOperation: Record<Operation, (soundId: string) => Promise<Outcome>> = {
    list: () => actions.list(),
    upload: () => actions.upload(),
    playback: actions.play,
    delete: actions.remove,
  };
  return {
    ...actions,
    /** `operation`, on `soundId` where it takes one. */
    perform: (operation: Operation, soundId: string) => byOperation[operation](soundId),
  };
}

/** Uploads a sound while nothing is wrong and returns its id. */
export async function uploadReadySound(
  system: TestSystem,
  userId: number,
  bytes: Uint8Array = wavTone(),
): Promise<string> {
  const response = await uploadSound(system.url, { userId, bytes });
  if (response.status !== 201) throw new Error(`upload answered ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

/** Ids of the sounds the API lists. */
export async function listedIds(system: TestSystem): Promise<string[]> {
  const response = await fetch(`${system.url}/sounds?limit=100`);
  const body = (await response.json()) as { items: Array<{ id: string }> };
  return body.items.map((sound) => sound.id);
}

/** Empties the database and file_store, so each test starts from nothing. */
export async function emptySystem(system: TestSystem): Promise<void> {
  // Let a reaper pass in progress (the start-up one) finish first.
  await system.api.reap();
  await system.api.db.delete(soundsTable);
  for (const folder of ['files', 'composites', 'tmp']) {
    const dir = join(system.fileStore.dataDir, folder);
    for (const name of await readdir(dir).catch(() => [])) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}

/**
 * What the API could not finish during a fault (rows left `uploading` or `deleting`), the
 * reaper finishes once they are stale; then the audit must find nothing wrong.
 */
export async function reapAndAudit(system: TestSystem): Promise<void> {
  const rows = await system.api.db.select({ status: soundsTable.status }).from(soundsTable);
  if (rows.some((row) => row.status !== 'ready')) {
    await sleep(system.api.config.REAPER_STALE_AFTER_MS + 300);
    await system.api.reap();
  }
  await expectConsistent(system);
}

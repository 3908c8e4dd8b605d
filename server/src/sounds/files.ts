import type { FileStore } from '../backends/file-store.ts';
import type { Database } from '../db/client.ts';
import type { SoundRow } from '../db/schema.ts';
import { pendingDerivativeKeys } from '../processing/jobs.ts';

/**
 * Every file in file_store that belongs to a sound: the original, its derivatives, and any
 * its unfinished processing job has recorded. A sound that goes takes all of them.
 */
export async function soundFileKeys(
  db: Database,
  sound: Pick<SoundRow, 'id' | 'storageKey' | 'streamKey' | 'waveformKey'>,
): Promise<string[]> {
  const keys = [sound.storageKey, sound.streamKey, sound.waveformKey];
  keys.push(...(await pendingDerivativeKeys(db, sound.id)));
  // The rendition may be the original itself.
  return [...new Set(keys.filter((key): key is string => !!key))];
}

/** Deletes a sound's files, derivatives first; throws (503) if file_store fails on any. */
export async function deleteSoundFiles(
  db: Database,
  fileStore: FileStore,
  sound: Pick<SoundRow, 'id' | 'storageKey' | 'streamKey' | 'waveformKey'>,
): Promise<void> {
  for (const key of (await soundFileKeys(db, sound)).reverse()) {
    await fileStore.deleteSoundFile(key);
  }
}

import type { FastifyBaseLogger } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import type { Database } from '../db/client.ts';
import { Errors } from '../lib/errors.ts';
import { deleteSoundFiles } from './files.ts';
import { deleteSoundRow, findReadySound, markSoundDeleting } from './repository.ts';

/**
 * DELETE /sounds/:id, the delete flow of docs/architecture.md: owner check, `ready → deleting`
 * (the sound leaves every listing at once), delete its files (the original and its
 * derivatives), delete the row. When file_store fails the row stays `deleting` and the reaper
 * retries; the delete has still been accepted, since the sound can no longer be listed, played
 * or deleted twice.
 */
export async function deleteSound(
  deps: {
    db: Database;
    fileStore: FileStore;
    log: FastifyBaseLogger;
    /** Called the moment the sound leaves the listing (before its file is removed). */
    onUnlisted(): void;
  },
  soundId: string,
  userId: number,
): Promise<void> {
  const sound = await findReadySound(deps.db, soundId);
  if (!sound) throw new Errors.soundNotFound(soundId);
  if (sound.userId !== userId) throw new Errors.notOwner();

  const claimed = await markSoundDeleting(deps.db, soundId);
  // Another request deleted it between our read and our claim.
  if (!claimed) throw new Errors.soundNotFound(soundId);
  deps.onUnlisted();

  try {
    await deleteSoundFiles(deps.db, deps.fileStore, claimed);
  } catch (error) {
    deps.log.warn({ err: error, soundId }, 'file_store refused a delete; the reaper will retry');
    return;
  }
  await deleteSoundRow(deps.db, soundId);
}

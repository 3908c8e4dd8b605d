import type { Static } from 'typebox';
import type { Sound } from '../schemas/sound.ts';
import type { ListedSound } from './repository.ts';

/** A row as the API shows it: no storage key or status, plus where to stream it. */
export function presentSound(row: ListedSound, publicUrl: string): Static<typeof Sound> {
  return {
    id: row.id,
    title: row.title,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    durationMs: row.durationMs,
    userId: row.userId,
    createdAt: row.createdAt.toISOString(),
    audioUrl: `${publicUrl.replace(/\/+$/, '')}/sounds/${row.id}/audio`,
  };
}

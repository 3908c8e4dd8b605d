import type { Static } from 'typebox';
import type { Sound } from '../schemas/sound.ts';
import type { ListedSound } from './repository.ts';

/** A row as the API shows it: no storage keys or status, plus where to fetch its files. */
export function presentSound(row: ListedSound, publicUrl: string): Static<typeof Sound> {
  const soundUrl = `${publicUrl.replace(/\/+$/, '')}/sounds/${row.id}`;
  const processed = row.processing === 'ready';
  return {
    id: row.id,
    title: row.title,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    durationMs: row.durationMs,
    userId: row.userId,
    createdAt: row.createdAt.toISOString(),
    audioUrl: `${soundUrl}/audio`,
    processing: row.processing,
    processingError: row.processing === 'failed' ? row.processingError : null,
    waveformUrl: processed ? `${soundUrl}/waveform` : null,
    streamUrl: processed ? `${soundUrl}/stream` : null,
  };
}

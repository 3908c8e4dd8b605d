import type { Static } from 'typebox';
import type { Sound } from '../schemas/sound.ts';
import type { ListedSound } from './repository.ts';

/**
 * Shows rows as the API shows them: no storage keys or status, plus where to fetch their files.
 * The base URL is cleaned once, not for each of a page's rows.
 */
export function soundPresenter(publicUrl: string): (row: ListedSound) => Static<typeof Sound> {
  const soundsUrl = `${publicUrl.replace(/\/+$/, '')}/sounds/`;
  return (row) => presentSound(row, soundsUrl);
}

function presentSound(row: ListedSound, soundsUrl: string): Static<typeof Sound> {
  const soundUrl = soundsUrl + row.id;
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

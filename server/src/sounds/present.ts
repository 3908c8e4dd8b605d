import type { Static } from 'typebox';
import { describeFailure } from '../processing/failures.ts';
import type { Sound } from '../schemas/sound.ts';
import type { ListedSound } from './repository.ts';

/**
 * Shows rows as the API shows them: no storage keys or status, plus where to fetch their files.
 * Why processing failed is shown to the uploader alone (`viewerId`). The base URL is cleaned
 * once, not for each of a page's rows.
 */
export function soundPresenter(
  publicUrl: string,
): (row: ListedSound, viewerId?: number | null) => Static<typeof Sound> {
  const soundsUrl = `${publicUrl.replace(/\/+$/, '')}/sounds/`;
  return (row, viewerId) => presentSound(row, soundsUrl, viewerId ?? null);
}

function presentSound(
  row: ListedSound,
  soundsUrl: string,
  viewerId: number | null,
): Static<typeof Sound> {
  const soundUrl = soundsUrl + row.id;
  const processed = row.processing === 'ready';
  const ownFailure = row.processing === 'failed' && viewerId === row.userId;
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
    processingError: ownFailure ? describeFailure(row.processingError) : null,
    waveformUrl: processed ? `${soundUrl}/waveform` : null,
    streamUrl: processed ? `${soundUrl}/stream` : null,
    loudness:
      processed && row.loudnessLufs !== null && row.truePeakDbtp !== null
        ? { integratedLufs: row.loudnessLufs, truePeakDbtp: row.truePeakDbtp }
        : null,
  };
}

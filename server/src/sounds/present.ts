import type { Static } from 'typebox';
import type { SoundRow } from '../db/schema.ts';
import { describeFailure } from '../processing/failures.ts';
import type { Sound } from '../schemas/sound.ts';

/** The columns a sound is shown from; storage keys and status stay behind. */
export type ShownSound = Pick<
  SoundRow,
  | 'id'
  | 'userId'
  | 'title'
  | 'filename'
  | 'contentType'
  | 'size'
  | 'durationMs'
  | 'createdAt'
  | 'processing'
  | 'processingError'
  | 'loudnessLufs'
  | 'truePeakDbtp'
>;

/** Where the URLs of sounds start, from PUBLIC_URL (with or without its trailing slash). */
export function soundsUrlOf(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/sounds/`;
}

/**
 * Shows rows as the API shows them: no storage keys or status, plus where to fetch their files.
 * Why processing failed is shown to the uploader alone (`viewerId`). The base URL is cleaned
 * once, not for each row. (The listing is written by Postgres in the same form: see
 * page-query.ts.)
 */
export function soundPresenter(
  publicUrl: string,
): (row: ShownSound, viewerId?: number | null) => Static<typeof Sound> {
  const soundsUrl = soundsUrlOf(publicUrl);
  return (row, viewerId) => presentSound(row, soundsUrl, viewerId ?? null);
}

/**
 * A page of the listing (`SoundList`) from its sounds' JSON, already written by Postgres; a
 * cursor is base64url, so it needs no escaping.
 */
export function soundListJson(items: string, nextCursor: string | null): string {
  return `{"items":[${items}],"nextCursor":${nextCursor === null ? 'null' : `"${nextCursor}"`}}`;
}

function presentSound(
  row: ShownSound,
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

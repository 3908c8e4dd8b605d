/** The duration column is a Postgres integer. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A compressed stream plays at most this long per byte of audio data: 60 ms/byte is about
 * 133 bit/s, below the floor of any real codec, so only a lying header goes past it.
 */
export const MAX_MS_PER_COMPRESSED_BYTE = 60;

/**
 * A duration read from a header, made safe to store: null when there is none (or it is NaN or
 * negative), else rounded and never more than `limitMs` (what the file's size allows for its
 * format) nor the column's maximum. A header claiming more than the size allows is clamped to
 * that limit rather than dropped: the limit is still a true upper bound of what plays.
 */
export function clampDurationMs(ms: number | null, limitMs: number): number | null {
  if (ms === null || Number.isNaN(ms) || ms < 0) return null;
  const clamped = Math.min(ms, Math.max(0, limitMs), MAX_DURATION_MS);
  return Number.isNaN(clamped) ? null : Math.round(clamped);
}

/** The longest a compressed stream of `audioBytes` bytes can play. */
export function compressedLimitMs(audioBytes: number): number {
  return Math.max(0, audioBytes) * MAX_MS_PER_COMPRESSED_BYTE;
}

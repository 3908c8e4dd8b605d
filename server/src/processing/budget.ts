import type { ToolBudget } from '../media/tool.ts';
import { STREAM_BITRATE_KBPS } from './render.ts';

/**
 * What one sound may cost, from what it is. A file holds no more sound than its bytes can
 * carry at the lowest bitrate real encoders write (Speex and AMR go down to about 2 kbit/s;
 * lossless silence aside), so a small file that decodes to hours (constant FLAC frames, a
 * forged header) is refused before the 201 where its container says so and stopped at the
 * bound while decoding where it does not. Processing's time and CPU scale with the length
 * accepted, so no small file holds a slot for long.
 */
export const LOWEST_BITRATE_BPS = 2_000;
/** However small the file, this much sound is always allowed (headers weigh something). */
const LEAST_BOUND_MS = 10_000;
/** Processing runs at least this much faster than real time (measured: ~50–100× on 2 cores). */
const LEAST_SPEED = 20;
/** The fixed part of a job's budget: starting ffmpeg, reading the head, storing the outputs. */
const BUDGET_BASE_MS = 30_000;

/** The longest sound a file of `sizeBytes` may hold, within `maxDurationMs`. */
export function durationBoundMs(sizeBytes: number, maxDurationMs: number): number {
  const carried = ((sizeBytes * 8) / LOWEST_BITRATE_BPS) * 1000;
  return Math.min(maxDurationMs, Math.max(LEAST_BOUND_MS, Math.round(carried)));
}

/**
 * The budget of one job expected to decode `expectedMs` of sound: the configured budget is the
 * ceiling, a length's worth at LEAST_SPEED (plus the base) the allowance.
 */
export function scaledBudget(expectedMs: number, ceiling: ToolBudget): ToolBudget {
  const allowanceMs = BUDGET_BASE_MS + expectedMs / LEAST_SPEED;
  return {
    timeoutMs: Math.round(Math.min(ceiling.timeoutMs, allowanceMs)),
    cpuSeconds: Math.ceil(Math.min(ceiling.cpuSeconds, allowanceMs / 1000)),
    memoryMb: ceiling.memoryMb,
  };
}

/** The most bytes the rendition of `boundMs` of sound may take (constant bitrate, framing). */
export function renditionByteBudget(boundMs: number): number {
  return Math.ceil((((boundMs / 1000) * STREAM_BITRATE_KBPS * 1000) / 8) * 1.05) + 64 * 1024;
}

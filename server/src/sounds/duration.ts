import { PassThrough } from 'node:stream';
import { parseStream } from 'music-metadata';

/**
 * Measures a sound's duration from the bytes as they stream past on their way to storage.
 * The parser reads from its own buffered branch; once it has an answer (a WAV or FLAC header
 * is enough) it stops being fed, and a parser failure never fails the upload: the duration is
 * then simply unknown.
 */
export type DurationProbe = ReturnType<typeof startDurationProbe>;

export function startDurationProbe(contentType: string) {
  const branch = new PassThrough({ highWaterMark: 1024 * 1024 });
  let settled = false;
  const durationMs: Promise<number | null> = parseStream(
    branch,
    { mimeType: contentType },
    { duration: true, skipCovers: true },
  )
    .then((metadata) => {
      const seconds = metadata.format.duration;
      return seconds && Number.isFinite(seconds) ? Math.round(seconds * 1000) : null;
    })
    .catch(() => null)
    .finally(() => {
      settled = true;
      branch.destroy();
    });

  return {
    /**
     * Hands a chunk to the parser. Returns a promise only when its buffer is full, to wait on;
     * most chunks cost no promise at all.
     */
    feed(chunk: Uint8Array): Promise<void> | undefined {
      if (settled || branch.destroyed) return;
      if (branch.write(chunk)) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          branch.off('drain', done);
          branch.off('close', done);
          resolve();
        };
        branch.on('drain', done);
        branch.on('close', done);
      });
    },
    /** All bytes were fed: resolves to the duration in ms, or null when unknown. */
    finish(): Promise<number | null> {
      if (!branch.destroyed) branch.end();
      return durationMs;
    },
    /** The upload failed: stop parsing. */
    abort(): void {
      branch.destroy();
    },
  };
}

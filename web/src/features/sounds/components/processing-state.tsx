import { useRef } from 'react';
import type { Sound } from '../../../lib/api/client.ts';
import { useFailureReason } from '../api/get-sound.ts';
import { useRetrySound } from '../api/retry-sound.ts';

/** A "Processing…" badge while the waveform and stream are made. */
export function ProcessingBadge({ sound }: { sound: Sound }) {
  if (sound.processing !== 'pending') return null;
  return <span className="badge">Processing…</span>;
}

/** Why processing failed and a "Try again", for the uploader only (the API tells nobody else). */
export function ProcessingFailure({ sound, viewerId }: { sound: Sound; viewerId: number | null }) {
  const reason = useFailureReason(sound, viewerId);
  const retry = useRetrySound(viewerId);
  const box = useRef<HTMLDivElement>(null);
  if (sound.processing !== 'failed' || viewerId === null || viewerId !== sound.userId) return null;
  return (
    <div className="processing-failed" ref={box}>
      <p>
        Processing failed.
        {reason && ` ${reason.message}`}
      </p>
      <button
        type="button"
        className="secondary small"
        aria-label={`Try again to process ${sound.title}`}
        disabled={retry.isPending}
        onClick={() => {
          // This block goes once the sound is processing again: focus moves to its play button
          // rather than being lost with it. (The promise outlives this component; a failure is
          // told by the hook.)
          const article = box.current?.closest('article');
          retry.mutateAsync(sound).then(
            () => article?.querySelector<HTMLElement>('.play-button')?.focus(),
            () => {},
          );
        }}
      >
        Try again
      </button>
    </div>
  );
}

import type { Sound } from '../../../lib/api/client.ts';

/** A "Processing…" badge while the waveform and stream are made. */
export function ProcessingBadge({ sound }: { sound: Sound }) {
  if (sound.processing !== 'pending') return null;
  return <span className="badge">Processing…</span>;
}

/** Why processing failed, for the uploader only; the original still plays. */
export function ProcessingFailure({ sound, own }: { sound: Sound; own: boolean }) {
  if (sound.processing !== 'failed' || !own) return null;
  return (
    <p className="processing-failed">
      Processing failed: {sound.processingError ?? 'no reason was given'}. It still plays from the
      original file.
    </p>
  );
}

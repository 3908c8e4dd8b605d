import { useId } from 'react';
import type { Sound } from '../../../lib/api/client.ts';
import { formatBytes, formatDateTime, formatDuration } from '../../../lib/format.ts';

interface SoundCardProps {
  sound: Sound;
  /** Whether the person looking uploaded it (then it can be deleted). */
  own: boolean;
  onDelete?: (sound: Sound) => void;
}

export function SoundCard({ sound, own, onDelete }: SoundCardProps) {
  const titleId = useId();
  return (
    <article className="sound-card" aria-labelledby={titleId}>
      <div className="sound-heading">
        <h3 id={titleId}>{sound.title}</h3>
        {own && onDelete && (
          <button
            type="button"
            className="danger"
            aria-label={`Delete ${sound.title}`}
            onClick={() => onDelete(sound)}
          >
            Delete
          </button>
        )}
      </div>
      <dl className="sound-facts">
        <div>
          <dt>Uploaded by</dt>
          <dd>{own ? `you (user ${sound.userId})` : `user ${sound.userId}`}</dd>
        </div>
        {sound.durationMs !== null && (
          <div>
            <dt>Length</dt>
            <dd>{formatDuration(sound.durationMs)}</dd>
          </div>
        )}
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(sound.size)}</dd>
        </div>
        <div>
          <dt>Added</dt>
          <dd>
            <time dateTime={sound.createdAt}>{formatDateTime(sound.createdAt)}</time>
          </dd>
        </div>
      </dl>
      {/* biome-ignore lint/a11y/useMediaCaption: user uploads come without captions */}
      <audio controls preload="metadata" src={sound.audioUrl} aria-label={sound.title} />
    </article>
  );
}

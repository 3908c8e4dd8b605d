import { Link } from 'react-router';
import type { Sound } from '../../../lib/api/client.ts';
import { formatBytes, formatDateTime, formatDuration } from '../../../lib/format.ts';

/** Who uploaded a sound, how long it is and when it was added (and its file, on its own page). */
export function SoundFacts({
  sound,
  own,
  withFile = false,
}: {
  sound: Sound;
  /** Whether the person looking uploaded it. */
  own: boolean;
  withFile?: boolean;
}) {
  return (
    <dl className="sound-facts">
      <div>
        <dt>Uploaded by</dt>
        <dd>
          <Link to={`/users/${sound.userId}`}>
            {own ? `you (user ${sound.userId})` : `user ${sound.userId}`}
          </Link>
        </dd>
      </div>
      {sound.durationMs !== null && (
        <div>
          <dt>Length</dt>
          <dd>{formatDuration(sound.durationMs)}</dd>
        </div>
      )}
      {withFile && (
        <div>
          <dt>File</dt>
          <dd>
            {sound.filename} ({formatBytes(sound.size)})
          </dd>
        </div>
      )}
      <div>
        <dt>Added</dt>
        <dd>
          <time dateTime={sound.createdAt}>{formatDateTime(sound.createdAt)}</time>
        </dd>
      </div>
    </dl>
  );
}

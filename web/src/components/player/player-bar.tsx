import { useId } from 'react';
import { Link } from 'react-router';
import { formatDuration } from '../../lib/format.ts';
import { describePosition, usePlayer, usePlayerState } from '../../lib/player/player-provider.tsx';
import type { PlayerNotice } from '../../lib/player/player-store.ts';
import { Icon } from '../ui/icons.tsx';

const NOTICES: Record<PlayerNotice, string> = {
  preparing: 'This sound is being prepared for playback.',
  unplayable: 'This sound cannot be played: this browser does not play its file.',
  failed: 'This sound could not be loaded. Press Play to try again.',
};

/** The player, fixed at the bottom of every page while a sound is loaded. */
export function PlayerBar() {
  const player = usePlayer();
  const sound = usePlayerState((state) => state.sound);
  const playing = usePlayerState((state) => state.playing);
  const currentTime = usePlayerState((state) => state.currentTime);
  const duration = usePlayerState((state) => state.duration);
  const volume = usePlayerState((state) => state.volume);
  const levelling = usePlayerState((state) => state.levelling);
  const notice = usePlayerState((state) => state.notice);
  const hasPrevious = usePlayerState(() => player.neighbour(-1) !== undefined);
  const hasNext = usePlayerState(() => player.neighbour(1) !== undefined);
  const volumeId = useId();
  const seekId = useId();
  const levelId = useId();
  const levelHintId = useId();
  if (!sound) return null;

  return (
    <section className="player-bar" aria-label="Player">
      <div className="player-inner">
        <div className="player-now">
          <Link to={`/sounds/${sound.id}`} className="player-title">
            {sound.title}
          </Link>
          <Link to={`/users/${sound.userId}`} className="player-uploader">
            user {sound.userId}
          </Link>
          {/* Always there (empty when all is well), so what appears in it is announced. */}
          <p className="player-notice" role="status">
            {notice && NOTICES[notice]}
          </p>
        </div>
        <div className="player-controls">
          <button
            type="button"
            className="icon-button secondary"
            onClick={() => player.previous()}
            aria-label="Previous sound"
            disabled={!hasPrevious && currentTime < 1}
          >
            <Icon name="previous" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => player.toggle()}
            aria-label={playing ? 'Pause' : 'Play'}
          >
            <Icon name={playing ? 'pause' : 'play'} />
          </button>
          <button
            type="button"
            className="icon-button secondary"
            onClick={() => player.next()}
            aria-label="Next sound"
            disabled={!hasNext}
          >
            <Icon name="next" />
          </button>
        </div>
        <div className="player-seek">
          <span className="player-time" aria-hidden="true">
            {formatDuration(currentTime * 1000)}
          </span>
          <label htmlFor={seekId} className="visually-hidden">
            Position
          </label>
          <input
            id={seekId}
            type="range"
            min={0}
            max={Math.max(duration, 0.1)}
            step="any"
            value={Math.min(currentTime, duration)}
            aria-valuetext={describePosition(currentTime, duration)}
            onChange={(event) => player.seek(Number(event.target.value))}
          />
          <span className="player-time" aria-hidden="true">
            {formatDuration(duration * 1000)}
          </span>
        </div>
        <div className="player-volume">
          <label htmlFor={volumeId}>Volume</label>
          <input
            id={volumeId}
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={volume}
            aria-valuetext={`${Math.round(volume * 100)}%`}
            onChange={(event) => player.setVolume(Number(event.target.value))}
          />
        </div>
        <div className="player-level">
          <input
            id={levelId}
            type="checkbox"
            role="switch"
            checked={levelling}
            aria-checked={levelling}
            aria-describedby={levelHintId}
            onChange={(event) => player.setLevelling(event.target.checked)}
          />
          <label htmlFor={levelId}>Level volume</label>
          <span id={levelHintId} className="visually-hidden">
            Plays every sound at about the same loudness.
          </span>
        </div>
      </div>
    </section>
  );
}

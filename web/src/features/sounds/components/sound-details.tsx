import { useEffect, useId } from 'react';
import { useNavigate } from 'react-router';
import { Waveform } from '../../../components/player/waveform.tsx';
import type { Sound } from '../../../lib/api/client.ts';
import { usePlayer } from '../../../lib/player/player-provider.tsx';
import { useAuthenticatedUserId } from '../../../lib/session.tsx';
import { useDeleteSound } from '../api/delete-sound.ts';
import { PlayButton } from './play-button.tsx';
import { ProcessingBadge, ProcessingFailure } from './processing-state.tsx';
import { SoundFacts } from './sound-facts.tsx';
import { SoundTitle } from './sound-title.tsx';

/** One sound's page: a large waveform, its details and the original to download. */
export function SoundDetails({ sound }: { sound: Sound }) {
  const viewerId = useAuthenticatedUserId();
  const own = viewerId !== null && viewerId === sound.userId;
  const deletion = useDeleteSound(viewerId);
  const navigate = useNavigate();
  const titleId = useId();
  const player = usePlayer();
  // Renamed or processed here: the player shows the news too.
  useEffect(() => player.updateSound(sound), [player, sound]);

  return (
    <article className="sound-page" aria-labelledby={titleId}>
      <SoundTitle sound={sound} level={1} id={titleId}>
        <ProcessingBadge sound={sound} />
      </SoundTitle>
      <div className="sound-player">
        <PlayButton sound={sound} large />
        <Waveform sound={sound} size="large" />
      </div>
      <ProcessingFailure sound={sound} viewerId={viewerId} />
      <SoundFacts sound={sound} own={own} withFile />
      <div className="sound-actions">
        <a className="button-link" href={sound.audioUrl} download={sound.filename}>
          Download the original
        </a>
        {own && (
          <button
            type="button"
            className="danger"
            aria-label={`Delete ${sound.title}`}
            onClick={() => {
              deletion.mutate(sound);
              navigate(`/users/${sound.userId}`);
            }}
          >
            Delete
          </button>
        )}
      </div>
    </article>
  );
}

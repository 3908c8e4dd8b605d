import { memo, useId } from 'react';
import { Waveform } from '../../../components/player/waveform.tsx';
import type { Sound } from '../../../lib/api/client.ts';
import { useLiveSound } from '../api/get-sound.ts';
import { PlayButton } from './play-button.tsx';
import { ProcessingBadge, ProcessingFailure } from './processing-state.tsx';
import { SoundFacts } from './sound-facts.tsx';
import { SoundTitle } from './sound-title.tsx';

interface SoundCardProps {
  sound: Sound;
  /** Who is looking (null: nobody logged in); its uploader can rename, delete and retry it. */
  viewerId: number | null;
  headingLevel: 2 | 3;
  /** The list it is shown in: the player's previous and next. */
  queue: Sound[];
  queueId: string;
  onDelete?: (sound: Sound) => void;
}

/** One sound in a list; drawn again only when its own props change. */
export const SoundCard = memo(function SoundCard({
  sound: listed,
  viewerId,
  headingLevel,
  queue,
  queueId,
  onDelete,
}: SoundCardProps) {
  const sound = useLiveSound(listed);
  const own = viewerId !== null && viewerId === sound.userId;
  const titleId = useId();
  return (
    <article className="sound-card" aria-labelledby={titleId}>
      <div className="sound-heading">
        <PlayButton sound={sound} queue={queue} queueId={queueId} />
        <SoundTitle sound={sound} level={headingLevel} id={titleId} link>
          <ProcessingBadge sound={sound} />
        </SoundTitle>
        {own && onDelete && (
          <button
            type="button"
            className="danger small"
            aria-label={`Delete ${sound.title}`}
            onClick={() => onDelete(sound)}
          >
            Delete
          </button>
        )}
      </div>
      <Waveform sound={sound} size="small" queue={queue} queueId={queueId} />
      <ProcessingFailure sound={sound} viewerId={viewerId} />
      <SoundFacts sound={sound} own={own} />
    </article>
  );
});

import { Icon } from '../../../components/ui/icons.tsx';
import type { Sound } from '../../../lib/api/client.ts';
import { usePlayer, usePlayerState } from '../../../lib/player/player-provider.tsx';

/** Plays a sound in the app's player, or pauses it when it is the one playing. */
export function PlayButton({
  sound,
  queue,
  queueId,
  large = false,
}: {
  sound: Sound;
  queue?: Sound[];
  queueId?: string;
  large?: boolean;
}) {
  const player = usePlayer();
  const playing = usePlayerState((state) => state.playing && state.sound?.id === sound.id);
  return (
    <button
      type="button"
      className={large ? 'icon-button play-button large' : 'icon-button play-button'}
      aria-label={`${playing ? 'Pause' : 'Play'} ${sound.title}`}
      onClick={() => (playing ? player.pause() : player.play(sound, { queue, queueId }))}
    >
      <Icon name={playing ? 'pause' : 'play'} />
    </button>
  );
}

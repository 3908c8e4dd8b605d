import { useEffect } from 'react';
import type { Sound } from '../../../lib/api/client.ts';
import { usePlayer, usePlayerState } from '../../../lib/player/player-provider.tsx';
import { useLiveSound } from '../api/get-sound.ts';

/**
 * While the player waits for a sound's rendition ("being prepared"), keeps asking about the
 * sound, as its card does, even when no card or page of it is on screen; once it is ready the
 * player has a file to play.
 */
export function PreparingSoundWatch() {
  const waiting = usePlayerState((state) => (state.notice === 'preparing' ? state.sound : null));
  return waiting ? <Watch sound={waiting} /> : null;
}

function Watch({ sound }: { sound: Sound }) {
  const player = usePlayer();
  const live = useLiveSound(sound);
  useEffect(() => player.updateSound(live), [player, live]);
  return null;
}

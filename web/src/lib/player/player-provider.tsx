import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useState,
  useSyncExternalStore,
} from 'react';
import { formatDuration } from '../format.ts';
import { type PlayerState, PlayerStore } from './player-store.ts';

const PlayerContext = createContext<PlayerStore | null>(null);

/** Owns the app's one audio element; everything that plays sound goes through it. */
export function PlayerProvider({ children, store }: { children: ReactNode; store?: PlayerStore }) {
  const [player] = useState(() => store ?? new PlayerStore(new Audio()));
  useMediaSession(player);
  usePlayerShortcuts(player);
  useEffect(() => () => player.audio.pause(), [player]);
  return <PlayerContext value={player}>{children}</PlayerContext>;
}

export function usePlayer(): PlayerStore {
  const player = useContext(PlayerContext);
  if (!player) throw new Error('usePlayer must be used inside <PlayerProvider>');
  return player;
}

/** A slice of the player's state; the component renders again only when the slice changes. */
export function usePlayerState<T>(select: (state: PlayerState) => T): T {
  const player = usePlayer();
  return useSyncExternalStore(player.subscribe, () => select(player.getState()));
}

/** "1:05 of 3:20": a position in words, for sliders and screen readers. */
export function describePosition(seconds: number, duration: number): string {
  return `${formatDuration(seconds * 1000)} of ${formatDuration(duration * 1000)}`;
}

/** Lock screen, headset and media keys: the Media Session API, where the browser has it. */
function useMediaSession(player: PlayerStore): void {
  useEffect(() => {
    if (!('mediaSession' in navigator)) return;
    const session = navigator.mediaSession;
    const handlers: Array<[MediaSessionAction, MediaSessionActionHandler]> = [
      ['play', () => player.resume()],
      ['pause', () => player.pause()],
      ['previoustrack', () => player.previous()],
      ['nexttrack', () => player.next()],
      ['seekbackward', (details) => player.seekBy(-(details.seekOffset ?? 10))],
      ['seekforward', (details) => player.seekBy(details.seekOffset ?? 10)],
      ['seekto', (details) => player.seek(details.seekTime ?? 0)],
    ];
    for (const [action, handler] of handlers) {
      try {
        session.setActionHandler(action, handler);
      } catch {
        // An action this browser does not know.
      }
    }
    let shown: string | null = null;
    const unsubscribe = player.subscribe(() => {
      const { sound, playing, duration, currentTime } = player.getState();
      if (sound && `${sound.id}:${sound.title}` !== shown && typeof MediaMetadata !== 'undefined') {
        shown = `${sound.id}:${sound.title}`;
        session.metadata = new MediaMetadata({
          title: sound.title,
          artist: `user ${sound.userId}`,
          album: 'Cloud Sound',
        });
      }
      session.playbackState = sound ? (playing ? 'playing' : 'paused') : 'none';
      if (sound && duration > 0 && currentTime <= duration) {
        try {
          session.setPositionState({ duration, position: currentTime, playbackRate: 1 });
        } catch {
          // A position the browser refuses (mid-seek): the next update sets it.
        }
      }
    });
    return () => {
      unsubscribe();
      for (const [action] of handlers) {
        try {
          session.setActionHandler(action, null);
        } catch {
          // As above.
        }
      }
    };
  }, [player]);
}

const SEEK_STEP_SECONDS = 5;

/** True when a key press belongs to what has focus: typing, or a control's own keys. */
function isOwnedByTarget(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target.closest('input, textarea, select, [contenteditable], [role="slider"]')) return true;
  // Space presses a focused button or follows a focused link.
  return event.key === ' ' && target.closest('button, a[href], summary, [role="button"]') !== null;
}

/** Space plays or pauses, the arrows seek: anywhere on the page except while typing. */
function usePlayerShortcuts(player: PlayerStore): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      if (!player.getState().sound || isOwnedByTarget(event)) return;
      if (event.key === ' ') player.toggle();
      else if (event.key === 'ArrowLeft') player.seekBy(-SEEK_STEP_SECONDS);
      else if (event.key === 'ArrowRight') player.seekBy(SEEK_STEP_SECONDS);
      else return;
      event.preventDefault();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [player]);
}

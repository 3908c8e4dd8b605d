import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import type { Sound } from '../../lib/api/client.ts';
import { useWaveform } from '../../lib/api/get-waveform.ts';
import { describePosition, usePlayer, usePlayerState } from '../../lib/player/player-provider.tsx';
import { WAVEFORM_HEIGHTS } from './waveform-heights.ts';

const STEP_SECONDS = 5;

interface WaveformProps {
  sound: Sound;
  size: keyof typeof WAVEFORM_HEIGHTS;
  /** The list the sound is shown in, for previous/next when it is started from here. */
  queue?: Sound[];
  queueId?: string;
}

/**
 * A sound's waveform, drawn by wavesurfer.js from the API's precomputed peaks (the browser
 * never decodes the file), as a slider: click or drag to seek, or the arrow keys. The sound
 * playing gets the player's own audio element; seeking another sound starts it there.
 */
export function Waveform({ sound, size, queue, queueId }: WaveformProps) {
  const player = usePlayer();
  const isCurrent = usePlayerState((state) => state.sound?.id === sound.id);
  const position = usePlayerState((state) =>
    state.sound?.id === sound.id ? state.currentTime : 0,
  );
  const ready = sound.processing === 'ready' && sound.waveformUrl !== null;
  const [element, setElement] = useState<HTMLDivElement | null>(null);
  // Peaks are fetched and drawn once the waveform comes into view.
  const seen = useSeen(element);
  const peaks = useWaveform(sound.id, ready && seen);
  const duration = sound.durationMs !== null ? sound.durationMs / 1000 : 0;
  const height = WAVEFORM_HEIGHTS[size];

  // Kept in a ref so the effect below does not redraw for a new list.
  const start = useRef((at: number) => player.play(sound, { queue, queueId, at }));
  start.current = (at: number) => player.play(sound, { queue, queueId, at });

  useEffect(() => {
    const data = peaks.data;
    if (!element || !data || duration <= 0) return;
    let destroyed = false;
    let destroy = () => {};
    // wavesurfer is loaded when the first waveform is drawn, not with the first page; each one
    // is drawn in a task of its own, so a page of them never blocks the main thread for long.
    import('wavesurfer.js').then(async ({ default: WaveSurfer }) => {
      await nextTask();
      if (destroyed) return;
      const wavesurfer = WaveSurfer.create({
        container: element,
        height,
        peaks: [data],
        duration,
        // Only the sound playing is bound to the player's element; the others draw alone.
        media: isCurrent ? player.audio : undefined,
        waveColor: '#8aa4c8',
        progressColor: '#1f5fbf',
        cursorColor: '#174a96',
        cursorWidth: isCurrent ? 2 : 0,
        barWidth: size === 'large' ? 3 : 2,
        barGap: 1,
        barRadius: 1,
        normalize: true,
        dragToSeek: true,
        interact: true,
      });
      if (!isCurrent) wavesurfer.on('interaction', (time) => start.current(time));
      destroy = () => wavesurfer.destroy();
    });
    return () => {
      destroyed = true;
      destroy();
    };
  }, [element, peaks.data, duration, height, size, isCurrent, player]);

  if (sound.processing === 'pending') {
    return (
      <div
        ref={setElement}
        className={`waveform waveform-${size} waveform-pending`}
        aria-hidden="true"
      >
        <span className="waveform-note">Making the waveform…</span>
      </div>
    );
  }
  if (!ready || duration <= 0) {
    return (
      <div
        ref={setElement}
        className={`waveform waveform-${size} waveform-missing`}
        aria-hidden="true"
      />
    );
  }

  const seekTo = (seconds: number) => {
    const time = Math.min(Math.max(0, seconds), duration);
    if (isCurrent) player.seek(time);
    else start.current(time);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, number> = {
      ArrowLeft: position - STEP_SECONDS,
      ArrowDown: position - STEP_SECONDS,
      ArrowRight: position + STEP_SECONDS,
      ArrowUp: position + STEP_SECONDS,
      PageDown: position - duration / 10,
      PageUp: position + duration / 10,
      Home: 0,
      End: duration,
    };
    if (event.key === ' ' || event.key === 'Enter') {
      if (isCurrent) player.toggle();
      else start.current(0);
    } else if (event.key in moves) {
      seekTo(moves[event.key] ?? 0);
    } else {
      return;
    }
    event.preventDefault();
  };

  return (
    <div
      ref={setElement}
      className={`waveform waveform-${size}`}
      role="slider"
      tabIndex={0}
      aria-label={`Seek in ${sound.title}`}
      aria-valuemin={0}
      aria-valuemax={Math.round(duration)}
      aria-valuenow={Math.round(position)}
      aria-valuetext={describePosition(position, duration)}
      aria-busy={peaks.isPending || undefined}
      onKeyDown={onKeyDown}
    />
  );
}

/** True from the first time the element is on screen (always, where nothing can tell). */
function useSeen(target: HTMLElement | null): boolean {
  const [seen, setSeen] = useState(() => typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    if (seen || !target) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          setSeen(true);
          observer.disconnect();
        }
      },
      { rootMargin: '200px' },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [target, seen]);
  return seen;
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

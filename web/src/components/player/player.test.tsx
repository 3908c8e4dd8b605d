import { QueryClientProvider } from '@tanstack/react-query';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sound } from '../../lib/api/client.ts';
import { PlayerProvider } from '../../lib/player/player-provider.tsx';
import { PlayerStore } from '../../lib/player/player-store.ts';
import { wavesurferInstances } from '../../testing/fake-wavesurfer.ts';
import { API, makeSound, makeWaveform } from '../../testing/fixtures.ts';
import { setupMockApi } from '../../testing/msw.ts';
import { createTestQueryClient } from '../../testing/render.tsx';
import { PlayerBar } from './player-bar.tsx';
import { Waveform } from './waveform.tsx';

setupMockApi(http.get(`${API}/sounds/:id/waveform`, () => HttpResponse.json(makeWaveform())));

function readySound(overrides: Partial<Sound> = {}): Sound {
  const sound = makeSound({ durationMs: 200_000, processing: 'ready', ...overrides });
  return {
    ...sound,
    waveformUrl: `${API}/sounds/${sound.id}/waveform`,
    streamUrl: `${API}/sounds/${sound.id}/stream`,
  };
}

/** An audio element whose time can be set, as a browser's can (jsdom's stays at 0). */
function playableAudio(): HTMLAudioElement {
  const audio = document.createElement('audio');
  let time = 0;
  Object.defineProperty(audio, 'currentTime', {
    get: () => time,
    set: (value: number) => {
      time = value;
      audio.dispatchEvent(new Event('timeupdate'));
    },
  });
  return audio;
}

function renderPlayer(extra: React.ReactNode = null) {
  const player = new PlayerStore(playableAudio());
  const user = userEvent.setup();
  render(
    <QueryClientProvider client={createTestQueryClient()}>
      <PlayerProvider store={player}>
        <MemoryRouter>
          <input aria-label="Somewhere to type" />
          {extra}
          <PlayerBar />
        </MemoryRouter>
      </PlayerProvider>
    </QueryClientProvider>,
  );
  return { player, user, bar: () => screen.getByRole('region', { name: 'Player' }) };
}

describe('the player bar', () => {
  it('shows nothing until a sound plays, then its title, uploader, time and controls', async () => {
    const [a, b] = [readySound({ title: 'Alpha', userId: 4 }), makeSound({ title: 'Beta' })];
    const { player, user, bar } = renderPlayer();
    expect(screen.queryByRole('region', { name: 'Player' })).not.toBeInTheDocument();

    act(() => player.play(a, { queue: [a, b] }));
    expect(within(bar()).getByRole('link', { name: 'Alpha' })).toHaveAttribute(
      'href',
      `/sounds/${a.id}`,
    );
    expect(within(bar()).getByRole('link', { name: 'user 4' })).toHaveAttribute('href', '/users/4');
    expect(within(bar()).getByText('3:20')).toBeInTheDocument();
    expect(within(bar()).getByRole('slider', { name: 'Position' })).toHaveAttribute(
      'aria-valuetext',
      '0:00 of 3:20',
    );
    // The listening rendition once processed; the original otherwise.
    expect(player.audio.src).toBe(a.streamUrl);

    await user.click(within(bar()).getByRole('button', { name: 'Pause' }));
    expect(within(bar()).getByRole('button', { name: 'Play' })).toBeInTheDocument();

    await user.click(within(bar()).getByRole('button', { name: 'Next sound' }));
    expect(within(bar()).getByRole('link', { name: 'Beta' })).toBeInTheDocument();
    expect(player.audio.src).toBe(b.audioUrl);
    expect(within(bar()).getByRole('button', { name: 'Next sound' })).toBeDisabled();
    await user.click(within(bar()).getByRole('button', { name: 'Previous sound' }));
    expect(within(bar()).getByRole('link', { name: 'Alpha' })).toBeInTheDocument();
  });

  it('has one audio element: starting a sound stops the other, and the next plays when one ends', () => {
    const [a, b] = [readySound({ title: 'Alpha' }), readySound({ title: 'Beta' })];
    const { player, bar } = renderPlayer();
    act(() => player.play(a, { queue: [a, b] }));
    act(() => player.play(b));
    expect(player.audio.src).toBe(b.streamUrl);
    expect(player.getState().sound?.id).toBe(b.id);

    act(() => player.play(a, { queue: [a, b] }));
    act(() => {
      player.audio.dispatchEvent(new Event('ended'));
    });
    expect(within(bar()).getByRole('link', { name: 'Beta' })).toBeInTheDocument();
  });

  it('sets the volume', () => {
    const { player, bar } = renderPlayer();
    act(() => player.play(readySound()));
    fireEvent.change(within(bar()).getByRole('slider', { name: 'Volume' }), {
      target: { value: '0.4' },
    });
    expect(player.audio.volume).toBeCloseTo(0.4);
    expect(within(bar()).getByRole('slider', { name: 'Volume' })).toHaveAttribute(
      'aria-valuetext',
      '40%',
    );
  });
});

describe('the keyboard', () => {
  it('toggles with space and seeks with the arrows, but never while typing', async () => {
    const { player, user, bar } = renderPlayer();
    act(() => player.play(readySound({ title: 'Alpha' })));

    await user.keyboard(' ');
    expect(within(bar()).getByRole('button', { name: 'Play' })).toBeInTheDocument();
    await user.keyboard('{ArrowRight}{ArrowRight}');
    expect(player.audio.currentTime).toBe(10);
    await user.keyboard('{ArrowLeft}');
    expect(player.audio.currentTime).toBe(5);

    await user.click(screen.getByRole('textbox', { name: 'Somewhere to type' }));
    await user.keyboard(' {ArrowLeft}');
    expect(screen.getByRole('textbox', { name: 'Somewhere to type' })).toHaveValue(' ');
    expect(within(bar()).getByRole('button', { name: 'Play' })).toBeInTheDocument();
    expect(player.audio.currentTime).toBe(5);
  });
});

describe('the Media Session', () => {
  const handlers = new Map<string, (details: { seekTime?: number }) => void>();
  const session = {
    metadata: null as unknown,
    playbackState: 'none',
    setActionHandler: (
      action: string,
      handler: ((details: { seekTime?: number }) => void) | null,
    ) => {
      if (handler) handlers.set(action, handler);
      else handlers.delete(action);
    },
    setPositionState: vi.fn(),
  };

  beforeEach(() => {
    Object.defineProperty(navigator, 'mediaSession', { value: session, configurable: true });
    vi.stubGlobal(
      'MediaMetadata',
      class {
        readonly init: Record<string, string>;
        constructor(init: Record<string, string>) {
          this.init = init;
        }
      },
    );
  });
  afterEach(() => {
    Reflect.deleteProperty(navigator, 'mediaSession');
    vi.unstubAllGlobals();
    handlers.clear();
  });

  it('tells the system what plays and takes its play, pause, seek, previous and next', () => {
    const [a, b] = [readySound({ title: 'Alpha', userId: 9 }), readySound({ title: 'Beta' })];
    const { player } = renderPlayer();
    act(() => player.play(a, { queue: [a, b] }));
    expect(session.metadata).toMatchObject({
      init: { title: 'Alpha', artist: 'user 9', album: 'Cloud Sound' },
    });
    expect(session.playbackState).toBe('playing');
    expect([...handlers.keys()]).toEqual(
      expect.arrayContaining(['play', 'pause', 'seekto', 'previoustrack', 'nexttrack']),
    );

    act(() => handlers.get('pause')?.({}));
    expect(session.playbackState).toBe('paused');
    act(() => handlers.get('seekto')?.({ seekTime: 42 }));
    expect(player.audio.currentTime).toBe(42);
    act(() => handlers.get('nexttrack')?.({}));
    expect(player.getState().sound?.title).toBe('Beta');
    expect(session.metadata).toMatchObject({ init: { title: 'Beta' } });
  });
});

describe('the waveform', () => {
  it('is drawn by wavesurfer from the peaks, bound to the player’s audio while its sound plays', async () => {
    const sound = readySound({ title: 'Alpha' });
    const { player } = renderPlayer(<Waveform sound={sound} size="large" />);
    const slider = screen.getByRole('slider', { name: 'Seek in Alpha' });
    expect(slider).toHaveAttribute('aria-valuetext', '0:00 of 3:20');
    await waitFor(() => expect(wavesurferInstances.at(-1)?.options.container).toBe(slider));
    const drawn = wavesurferInstances.at(-1);
    expect(drawn?.options).toMatchObject({ duration: 200, height: 128, media: undefined });

    // Clicking a waveform that is not playing starts its sound there.
    act(() => drawn?.emit('interaction', 50));
    expect(player.getState()).toMatchObject({ sound: { id: sound.id }, currentTime: 50 });
    await waitFor(() => expect(wavesurferInstances.at(-1)?.options.media).toBe(player.audio));
    expect(drawn?.destroyed).toBe(true);
    expect(slider).toHaveAttribute('aria-valuetext', '0:50 of 3:20');
  });

  it('is a slider the keyboard moves through the sound', async () => {
    const sound = readySound({ title: 'Alpha' });
    const { player, user } = renderPlayer(<Waveform sound={sound} size="small" />);
    const slider = screen.getByRole('slider', { name: 'Seek in Alpha' });
    slider.focus();
    await user.keyboard('{ArrowRight}');
    expect(player.getState()).toMatchObject({ sound: { id: sound.id }, currentTime: 5 });
    expect(slider).toHaveAttribute('aria-valuenow', '5');
    expect(slider).toHaveAttribute('aria-valuetext', '0:05 of 3:20');
    await user.keyboard('{End}');
    expect(slider).toHaveAttribute('aria-valuetext', '3:20 of 3:20');
    await user.keyboard('{Home}');
    expect(slider).toHaveAttribute('aria-valuetext', '0:00 of 3:20');
    await user.keyboard('{PageUp}');
    expect(slider).toHaveAttribute('aria-valuetext', '0:20 of 3:20');
    await user.keyboard(' ');
    expect(player.getState().playing).toBe(false);
  });

  it('is a placeholder while the sound is processed', () => {
    renderPlayer(<Waveform sound={makeSound({ title: 'Raw' })} size="small" />);
    expect(screen.queryByRole('slider')).not.toBeInTheDocument();
    expect(screen.getByText('Making the waveform…')).toBeInTheDocument();
  });
});

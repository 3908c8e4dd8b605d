import { QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sound } from '../../lib/api/client.ts';
import { type CreateLevellingContext, dbToGain } from '../../lib/player/levelling.ts';
import { PlayerProvider } from '../../lib/player/player-provider.tsx';
import { LEVELLING_STORAGE_KEY, PlayerStore } from '../../lib/player/player-store.ts';
import { fakeAudioContext } from '../../testing/fake-audio-context.ts';
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

function renderPlayer(
  extra: React.ReactNode = null,
  createAudioContext: CreateLevellingContext | undefined = undefined,
) {
  const player = new PlayerStore(playableAudio(), { createAudioContext });
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

describe('a sound whose original no browser plays', () => {
  function status(bar: HTMLElement) {
    return within(bar).getByRole('status');
  }

  it('is "being prepared" while processed, not a failure, and plays its rendition once ready', async () => {
    const memo = makeSound({ title: 'Voice memo', filename: 'memo.amr', contentType: 'audio/amr' });
    const { player, user, bar } = renderPlayer();

    act(() => player.play(memo));
    expect(status(bar())).toHaveTextContent('This sound is being prepared for playback.');
    expect(player.audio.hasAttribute('src')).toBe(false);
    expect(within(bar()).getByRole('button', { name: 'Play' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    // Play again: still waiting, nothing loaded.
    await user.click(within(bar()).getByRole('button', { name: 'Play' }));
    expect(player.audio.hasAttribute('src')).toBe(false);

    // The list it is shown in refreshes: processed, with a rendition every browser plays.
    const ready = { ...readySound({ title: 'Voice memo' }), id: memo.id };
    act(() => player.updateQueue('another list', [ready]));
    expect(player.audio.src).toBe(ready.streamUrl);
    expect(status(bar())).toBeEmptyDOMElement();
    await user.click(within(bar()).getByRole('button', { name: 'Play' }));
    expect(within(bar()).getByRole('button', { name: 'Pause' })).toBeInTheDocument();
  });

  it('is "being prepared" too when a pending original fails to play after all', async () => {
    // MPEG-1 Layer II in a .mp3: served as audio/mpeg, which Chromium says it may play, but cannot.
    const layer2 = makeSound({ title: 'Old broadcast', contentType: 'audio/mpeg' });
    const { player, user, bar } = renderPlayer();
    act(() => player.play(layer2));
    expect(player.audio.src).toBe(layer2.audioUrl);

    Object.defineProperty(player.audio, 'error', { value: { code: 4 }, configurable: true });
    act(() => {
      player.audio.dispatchEvent(new Event('error'));
    });
    expect(status(bar())).toHaveTextContent('This sound is being prepared for playback.');
    expect(within(bar()).getByRole('button', { name: 'Play' })).toBeInTheDocument();
    // Play does not try the original again; the rendition, once there, plays.
    await user.click(within(bar()).getByRole('button', { name: 'Play' }));
    expect(status(bar())).toHaveTextContent('being prepared');
    const ready = { ...readySound({ title: 'Old broadcast' }), id: layer2.id };
    act(() => player.updateSound(ready));
    expect(player.audio.src).toBe(ready.streamUrl);
    expect(status(bar())).toBeEmptyDOMElement();
  });

  it('cannot be played when its processing failed, and says so', () => {
    const failed = makeSound({ title: 'Odd', contentType: 'audio/x-ms-wma', processing: 'failed' });
    const { player, bar } = renderPlayer();
    act(() => player.play(failed));
    expect(status(bar())).toHaveTextContent(
      'This sound cannot be played: this browser does not play its file.',
    );
  });
});

describe('levelling', () => {
  const loud = () =>
    readySound({ title: 'Loud', loudness: { integratedLufs: -8, truePeakDbtp: -0.2 } });
  const quiet = () =>
    readySound({ title: 'Quiet', loudness: { integratedLufs: -30, truePeakDbtp: -20 } });

  it('has a "Level volume" switch, on by default and remembered for the next visit', async () => {
    const first = renderPlayer();
    act(() => first.player.play(readySound()));
    const toggle = within(first.bar()).getByRole('switch', { name: 'Level volume' });
    expect(toggle).toBeChecked();
    await first.user.click(toggle);
    expect(toggle).not.toBeChecked();
    expect(localStorage.getItem(LEVELLING_STORAGE_KEY)).toBe('off');

    // The next visit.
    cleanup();
    const second = renderPlayer();
    act(() => second.player.play(readySound()));
    const again = within(second.bar()).getByRole('switch', { name: 'Level volume' });
    expect(again).not.toBeChecked();
    await second.user.click(again);
    expect(localStorage.getItem(LEVELLING_STORAGE_KEY)).toBe('on');
  });

  it('plays through one gain set from each sound’s loudness, made at the first play and gliding after', async () => {
    const web = fakeAudioContext();
    const [a, b, c] = [loud(), quiet(), readySound({ title: 'Unmeasured' })];
    const { player, user, bar } = renderPlayer(null, web.create);
    // CORS mode, or Web Audio would get silence from the API's origin.
    expect(player.audio.crossOrigin).toBe('anonymous');
    expect(web.created).toHaveLength(0);

    act(() => player.play(a, { queue: [a, b, c] }));
    expect(web.calls.slice(0, 5)).toEqual([
      'new AudioContext',
      'createMediaElementSource(audio)',
      'createGain',
      'source.connect(gain)',
      'gain.connect(destination)',
    ]);
    // −14 − (−8) = −6 dB.
    expect(web.targets.at(-1)).toBeCloseTo(dbToGain(-6));

    await user.click(within(bar()).getByRole('button', { name: 'Next sound' }));
    // +16 dB would reach the target; the boost stops at +12 (its peak would allow +19).
    expect(web.targets.at(-1)).toBeCloseTo(dbToGain(12));
    await user.click(within(bar()).getByRole('button', { name: 'Next sound' }));
    expect(web.targets.at(-1)).toBe(1);

    await user.click(within(bar()).getByRole('button', { name: 'Previous sound' }));
    const toggle = within(bar()).getByRole('switch', { name: 'Level volume' });
    await user.click(toggle);
    expect(web.targets.at(-1)).toBe(1);
    await user.click(toggle);
    expect(web.targets.at(-1)).toBeCloseTo(dbToGain(12));
    // Every change glides (setTargetAtTime); one context for the whole visit.
    expect(
      web.calls
        .filter((call) => call.startsWith('gain →'))
        .every((call) => call.endsWith('(τ 0.05 s)')),
    ).toBe(true);
    expect(web.created).toHaveLength(1);
  });

  it('makes no audio graph while switched off', () => {
    localStorage.setItem(LEVELLING_STORAGE_KEY, 'off');
    const web = fakeAudioContext();
    const { player } = renderPlayer(null, web.create);
    act(() => player.play(loud()));
    expect(web.created).toHaveLength(0);
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

import { act, screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROCESSING_POLL_MS } from '../../features/sounds/api/get-sound.ts';
import type { Sound } from '../../lib/api/client.ts';
import { liveStream } from '../../testing/fake-event-source.ts';
import {
  API,
  apiError,
  makeMe,
  makeSound,
  makeWaveform,
  soundEvent,
  soundList,
} from '../../testing/fixtures.ts';
import { setupMockApi } from '../../testing/msw.ts';
import { renderWithProviders } from '../../testing/render.tsx';
import { AppRoutes } from '../router.tsx';

const ME = 7;
const REASON = {
  code: 'storage' as const,
  message: 'Storage could not be reached while processing it.',
};

const server = setupMockApi(
  http.get(`${API}/me`, ({ request }) =>
    HttpResponse.json(makeMe(Number(request.headers.get('X-User-Id')))),
  ),
  http.get(`${API}/sounds`, () => HttpResponse.json(soundList([]))),
  http.get(`${API}/sounds/:id/waveform`, () => HttpResponse.json(makeWaveform())),
);

afterEach(() => vi.useRealTimers());

/** `GET /sounds/:id` as the API answers it: the reason for the uploader's `X-User-Id` only. */
function serveSound(answer: () => Sound) {
  const askedBy: (string | null)[] = [];
  server.use(
    http.get(`${API}/sounds/:id`, ({ request }) => {
      const viewer = request.headers.get('X-User-Id');
      askedBy.push(viewer);
      const sound = answer();
      return HttpResponse.json({
        ...sound,
        processingError:
          sound.processing === 'failed' && viewer === String(sound.userId) ? REASON : null,
      });
    }),
  );
  return askedBy;
}

describe('the sound page of a failed sound', () => {
  it('tells its uploader why and processes it again on request', async () => {
    const failed = makeSound({ title: 'Field recording', userId: ME, processing: 'failed' });
    let current: Sound = failed;
    const askedBy = serveSound(() => current);
    server.use(
      http.post(`${API}/sounds/:id/retry`, () => {
        current = { ...failed, processing: 'pending' };
        return HttpResponse.json(current, { status: 202 });
      }),
    );
    const { user } = renderWithProviders(<AppRoutes />, {
      userId: ME,
      route: `/sounds/${failed.id}`,
    });

    const page = await screen.findByRole('article', { name: 'Field recording' });
    // Once the session is confirmed, its uploader's own copy is asked for: it says why.
    expect(
      await within(page).findByText(
        'Processing failed. Storage could not be reached while processing it.',
      ),
    ).toBeInTheDocument();
    expect(askedBy.at(-1)).toBe(String(ME));

    await user.click(
      within(page).getByRole('button', { name: 'Try again to process Field recording' }),
    );
    expect(await within(page).findByText('Processing…')).toBeInTheDocument();
    expect(within(page).queryByText(/Processing failed/)).not.toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('status', { name: 'Notifications' })).toHaveTextContent(
        'Processing “Field recording” again.',
      ),
    );
    await waitFor(() =>
      expect(within(page).getByRole('button', { name: 'Play Field recording' })).toHaveFocus(),
    );
  });

  it('shows a visitor the sound without any reason or retry', async () => {
    const failed = makeSound({ title: 'Field recording', userId: ME, processing: 'failed' });
    const askedBy = serveSound(() => failed);
    renderWithProviders(<AppRoutes />, { route: `/sounds/${failed.id}` });
    const page = await screen.findByRole('article', { name: 'Field recording' });
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(within(page).queryByText(/Processing failed/)).not.toBeInTheDocument();
    expect(within(page).queryByRole('button', { name: /Try again/ })).not.toBeInTheDocument();
    expect(askedBy).toEqual([null]);
  });
});

/** `sound` once processed. */
function asReady(sound: Sound): Sound {
  return {
    ...sound,
    processing: 'ready',
    streamUrl: `${API}/sounds/${sound.id}/stream`,
    waveformUrl: `${API}/sounds/${sound.id}/waveform`,
  };
}

describe('the sound page of a sound being processed', () => {
  it('shows the waveform as soon as the live events say it is ready, without polling', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const fresh = makeSound({ title: 'Fresh' });
    let current = fresh;
    const askedBy = serveSound(() => current);
    renderWithProviders(<AppRoutes />, { route: `/sounds/${fresh.id}`, fakeTimers: true });
    act(() => liveStream().open());
    const page = await screen.findByRole('article', { name: /Fresh/ });
    expect(within(page).getByText('Processing…')).toBeInTheDocument();
    const asked = askedBy.length;

    await act(async () => vi.advanceTimersByTime(PROCESSING_POLL_MS * 4));
    expect(askedBy).toHaveLength(asked);

    current = asReady(fresh);
    act(() => liveStream().emit(soundEvent('processing', current)));
    expect(await within(page).findByRole('slider', { name: 'Seek in Fresh' })).toBeInTheDocument();
    expect(within(page).queryByText('Processing…')).not.toBeInTheDocument();
    expect(askedBy).toHaveLength(asked + 1);
  });

  it('is polled until it is ready while the live events are down', async () => {
    const fresh = makeSound({ title: 'Fresh' });
    let polls = 0;
    serveSound(() => {
      polls += 1;
      return polls < 2 ? fresh : asReady(fresh);
    });
    renderWithProviders(<AppRoutes />, { route: `/sounds/${fresh.id}` });
    act(() => liveStream().fail());
    const page = await screen.findByRole('article', { name: /Fresh/ });
    expect(within(page).getByText('Processing…')).toBeInTheDocument();
    expect(
      await within(page).findByRole('slider', { name: 'Seek in Fresh' }, { timeout: 5000 }),
    ).toBeInTheDocument();
    expect(polls).toBe(2);
  });

  it('says the sound is gone when it is deleted elsewhere', async () => {
    const fresh = makeSound({ title: 'Fresh' });
    let deleted = false;
    server.use(
      http.get(`${API}/sounds/:id`, () =>
        deleted
          ? HttpResponse.json(apiError(404, 'SOUND_NOT_FOUND'), { status: 404 })
          : HttpResponse.json(fresh),
      ),
    );
    renderWithProviders(<AppRoutes />, { route: `/sounds/${fresh.id}` });
    act(() => liveStream().open());
    await screen.findByRole('article', { name: /Fresh/ });

    deleted = true;
    act(() => liveStream().emit(soundEvent('deleted', fresh)));
    expect(await screen.findByRole('heading', { name: 'Sound not found' })).toBeInTheDocument();
  });
});

describe('the player waiting for a sound to be prepared', () => {
  it('learns from the live events when it is ready, with no card or page of it on screen', async () => {
    const memo = makeSound({ title: 'Voice memo', contentType: 'audio/amr', userId: 2 });
    let current = memo;
    const askedBy = serveSound(() => current);
    // The home page lists nothing: only the player knows the sound.
    const { player } = renderWithProviders(<AppRoutes />);
    act(() => liveStream().open());
    await screen.findByText(/No sounds yet/);
    act(() => player.play(memo));
    const bar = screen.getByRole('region', { name: 'Player' });
    expect(within(bar).getByRole('status')).toHaveTextContent(
      'This sound is being prepared for playback.',
    );

    current = asReady(memo);
    act(() => liveStream().emit(soundEvent('processing', current)));
    await waitFor(() => expect(player.audio.src).toBe(`${API}/sounds/${memo.id}/stream`));
    expect(within(bar).getByRole('status')).toBeEmptyDOMElement();
    expect(askedBy).toEqual([null]);
  });

  it('asks about it while the live events are down, even when no card or page of it is on screen, and can play it once ready', async () => {
    const memo = makeSound({ title: 'Voice memo', contentType: 'audio/amr', userId: 2 });
    let polls = 0;
    serveSound(() => {
      polls += 1;
      return polls < 2 ? memo : asReady(memo);
    });
    // The home page lists nothing: only the player knows the sound.
    const { player } = renderWithProviders(<AppRoutes />);
    act(() => liveStream().fail());
    await screen.findByText(/No sounds yet/);
    act(() => player.play(memo));
    const bar = screen.getByRole('region', { name: 'Player' });
    expect(within(bar).getByRole('status')).toHaveTextContent(
      'This sound is being prepared for playback.',
    );

    await waitFor(() => expect(player.audio.src).toBe(`${API}/sounds/${memo.id}/stream`), {
      timeout: 5000,
    });
    expect(within(bar).getByRole('status')).toBeEmptyDOMElement();
  });
});

import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Sound } from '../../../lib/api/client.ts';
import { useMe } from '../../../lib/api/get-me.ts';
import { liveStream } from '../../../testing/fake-event-source.ts';
import { wavesurferInstances } from '../../../testing/fake-wavesurfer.ts';
import {
  API,
  apiError,
  makeMe,
  makeSound,
  makeWaveform,
  soundEvent,
  soundList,
} from '../../../testing/fixtures.ts';
import { setupMockApi } from '../../../testing/msw.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { UNDO_WINDOW_MS, undoDelete } from '../api/delete-sound.ts';
import { PROCESSING_POLL_MS } from '../api/get-sound.ts';
import { SoundsSection } from './sounds-section.tsx';

const ME = 1;
const server = setupMockApi(
  http.get(`${API}/me`, ({ request }) =>
    HttpResponse.json(makeMe(Number(request.headers.get('X-User-Id')))),
  ),
  http.get(`${API}/sounds/:id/waveform`, () => HttpResponse.json(makeWaveform())),
);

afterEach(() => vi.useRealTimers());

/** Serves `sounds` as the API would (`userId` and `q` filters) and keeps the listings asked. */
function serveSounds(sounds: Sound[]) {
  const listings: URL[] = [];
  server.use(
    http.get(`${API}/sounds`, ({ request }) => {
      const url = new URL(request.url);
      listings.push(url);
      const userId = url.searchParams.get('userId');
      const q = url.searchParams.get('q')?.toLowerCase();
      return HttpResponse.json(
        soundList(
          sounds.filter(
            (sound) =>
              (userId === null || sound.userId === Number(userId)) &&
              (!q ||
                sound.title
                  .toLowerCase()
                  .split(' ')
                  .some((word) => word.startsWith(q))),
          ),
        ),
      );
    }),
    // Processing sounds are asked about one by one.
    http.get(`${API}/sounds/:id`, ({ params }) => {
      const sound = sounds.find((each) => each.id === params.id);
      return sound
        ? HttpResponse.json(sound)
        : HttpResponse.json(apiError(404, 'SOUND_NOT_FOUND'), { status: 404 });
    }),
  );
  return listings;
}

function renderSounds(options: { userId?: number; route?: string; fakeTimers?: boolean } = {}) {
  return renderWithProviders(<SoundsSection userId={null} title="All sounds" level={2} />, options);
}

async function soundTitles() {
  const list = await screen.findByRole('list', { name: /sounds/ });
  return within(list)
    .getAllByRole('heading', { level: 3 })
    .map((heading) => heading.textContent);
}

/** The list shows these titles (cards render in a deferred pass, so this waits for it). */
async function expectTitles(titles: string[]) {
  await waitFor(async () => expect(await soundTitles()).toEqual(titles));
}

function notifications() {
  return screen.getByRole('status', { name: 'Notifications' });
}

describe('listening', () => {
  it('lists sounds newest first, each with a play button, its uploader and a waveform slider', async () => {
    const ready = makeSound({
      title: 'Morning birds',
      userId: 3,
      durationMs: 200_000,
      createdAt: '2025-03-04T05:06:07.000Z',
      processing: 'ready',
      waveformUrl: `${API}/sounds/x/waveform`,
      streamUrl: `${API}/sounds/x/stream`,
    });
    const pending = makeSound({ title: 'Rain', durationMs: null });
    serveSounds([ready, pending]);
    renderSounds();

    expect(screen.getByText('Loading sounds…')).toBeInTheDocument();
    await expectTitles(['Morning birds', 'Rain']);

    const card = screen.getByRole('article', { name: 'Morning birds' });
    expect(within(card).getByRole('link', { name: 'Morning birds' })).toHaveAttribute(
      'href',
      `/sounds/${ready.id}`,
    );
    expect(within(card).getByRole('link', { name: 'user 3' })).toHaveAttribute('href', '/users/3');
    expect(within(card).getByText('3:20')).toBeInTheDocument();
    expect(within(card).getByRole('button', { name: 'Play Morning birds' })).toBeInTheDocument();
    const slider = within(card).getByRole('slider', { name: 'Seek in Morning birds' });
    expect(slider).toHaveAttribute('aria-valuetext', '0:00 of 3:20');
    // Drawn from the API's peaks, never from the audio file.
    await waitFor(() =>
      expect(wavesurferInstances.at(-1)?.options).toMatchObject({ duration: 200, height: 48 }),
    );
    const peaks = (wavesurferInstances.at(-1)?.options.peaks as number[][] | undefined)?.[0];
    expect(peaks).toHaveLength(200);
    expect(Math.max(...(peaks ?? []))).toBeLessThanOrEqual(1);

    // Still processing: a placeholder and a badge, no slider; an unknown length is left out.
    const rain = screen.getByRole('article', { name: /Rain/ });
    expect(within(rain).getByText('Processing…')).toBeInTheDocument();
    expect(within(rain).queryByRole('slider')).not.toBeInTheDocument();
    expect(within(rain).queryByText('Length')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Delete|Edit/ })).not.toBeInTheDocument();
  });

  it('says when there are no sounds yet', async () => {
    serveSounds([]);
    renderSounds();
    expect(
      await screen.findByText('No sounds yet. Log in to upload the first one.'),
    ).toBeInTheDocument();
  });

  it('says when the sounds cannot be loaded, and tries again on request', async () => {
    serveSounds([makeSound({ title: 'Back again' })]);
    server.use(http.get(`${API}/sounds`, () => HttpResponse.error(), { once: true }));
    const { user } = renderSounds();

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not load the sounds. The Cloud Sound server cannot be reached.',
    );
    await user.click(screen.getByRole('button', { name: 'Try loading again' }));
    await expectTitles(['Back again']);
  });

  it('loads more over the cursor until the last page, leaving the page size to the API', async () => {
    const urls: URL[] = [];
    const [one, two, three] = ['One', 'Two', 'Three'].map((title) =>
      makeSound({ title, processing: 'failed' }),
    ) as [Sound, Sound, Sound];
    server.use(
      http.get(`${API}/sounds`, ({ request }) => {
        const url = new URL(request.url);
        urls.push(url);
        return HttpResponse.json(
          url.searchParams.get('cursor') === 'page-2'
            ? soundList([three])
            : soundList([one, two], 'page-2'),
        );
      }),
    );
    const { user } = renderSounds();

    await expectTitles(['One', 'Two']);
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(async () => expect(await soundTitles()).toEqual(['One', 'Two', 'Three']));
    expect(urls.map((url) => url.searchParams.get('cursor'))).toEqual([null, 'page-2']);
    expect(urls.every((url) => !url.searchParams.has('limit'))).toBe(true);
    expect(screen.getByText('You have reached the end of the list.')).toBeInTheDocument();
  });

  it.each([
    ['the browser gave up on them', () => liveStream().fail()],
    [
      'the browser is reconnecting',
      () => {
        liveStream().open();
        liveStream().drop();
      },
    ],
  ])(
    'keeps a processing sound up to date until it is ready while the live events are down (%s)',
    async (_why, takeDown) => {
      const pending = makeSound({ title: 'Fresh' });
      serveSounds([pending]);
      let polls = 0;
      server.use(
        http.get(`${API}/sounds/:id`, () => {
          polls += 1;
          return HttpResponse.json(polls < 2 ? pending : asReady(pending));
        }),
      );
      renderSounds();
      act(takeDown);
      const card = await screen.findByRole('article', { name: /Fresh/ });
      expect(within(card).getByText('Processing…')).toBeInTheDocument();

      expect(
        await within(card).findByRole('slider', { name: 'Seek in Fresh' }, { timeout: 5000 }),
      ).toBeInTheDocument();
      expect(within(card).queryByText('Processing…')).not.toBeInTheDocument();
      expect(polls).toBe(2);
    },
  );
});

/** `sound` once processed. */
function asReady(sound: Sound): Sound {
  return {
    ...sound,
    processing: 'ready',
    durationMs: 3000,
    waveformUrl: `${API}/sounds/${sound.id}/waveform`,
    streamUrl: `${API}/sounds/${sound.id}/stream`,
  };
}

/** The upload panel shows what GET /me says of the storage; a stand-in asks for it. */
function UploadPanel() {
  useMe(ME);
  return null;
}

describe('live updates', () => {
  /**
   * Serves `sounds` as the API would; the test changes the array as another browser's change
   * would. Keeps the listings and the single sounds asked for.
   */
  function serveLive(sounds: Sound[]) {
    const listings = serveSounds(sounds);
    const soundsAsked: string[] = [];
    server.use(
      http.get(`${API}/sounds/:id`, ({ params }) => {
        soundsAsked.push(String(params.id));
        const sound = sounds.find((each) => each.id === params.id);
        return sound
          ? HttpResponse.json(sound)
          : HttpResponse.json(apiError(404, 'SOUND_NOT_FOUND'), { status: 404 });
      }),
    );
    return { listings, soundsAsked };
  }

  /** The live events open as the page loads, as they do in a browser. */
  function renderLive(options: { userId?: number; fakeTimers?: boolean } = {}) {
    const rendered = renderSounds(options);
    act(() => liveStream().open());
    return rendered;
  }

  it('shows a sound uploaded elsewhere in the open list, keeping the list on screen meanwhile', async () => {
    const old = makeSound({ title: 'Old', processing: 'ready' });
    const sounds = [old];
    const { listings } = serveLive(sounds);
    renderLive();
    await expectTitles(['Old']);
    const listedBefore = listings.length;

    const fresh = makeSound({ title: 'Just uploaded', userId: 2 });
    sounds.unshift(fresh);
    act(() => liveStream().emit(soundEvent('created', fresh)));
    expect(screen.getByRole('list', { name: 'All sounds' })).toBeInTheDocument();
    expect(screen.queryByText('Loading sounds…')).not.toBeInTheDocument();

    await expectTitles(['Just uploaded', 'Old']);
    expect(listings.length).toBe(listedBefore + 1);
  });

  it('refetches only the listings a new sound belongs in', async () => {
    const { listings } = serveLive([makeSound({ title: 'By 3', userId: 3, processing: 'ready' })]);
    renderWithProviders(<SoundsSection userId={3} title="User 3's sounds" level={2} />);
    act(() => liveStream().open());
    await expectTitles(['By 3']);
    const listedBefore = listings.length;

    act(() => liveStream().emit(soundEvent('created', makeSound({ userId: 4 }))));
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(listings.length).toBe(listedBefore);
  });

  it('turns a processing badge into the waveform on its processing event, with no polling while the events flow', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const pending = makeSound({ title: 'Fresh' });
    const sounds = [pending];
    const { soundsAsked } = serveLive(sounds);
    renderLive({ fakeTimers: true });
    const card = await screen.findByRole('article', { name: /Fresh/ });
    expect(within(card).getByText('Processing…')).toBeInTheDocument();

    await act(async () => vi.advanceTimersByTime(PROCESSING_POLL_MS * 4));
    expect(soundsAsked).toEqual([]);

    sounds[0] = asReady(pending);
    act(() => liveStream().emit(soundEvent('processing', sounds[0] as Sound)));
    expect(await within(card).findByRole('slider', { name: 'Seek in Fresh' })).toBeInTheDocument();
    expect(within(card).queryByText('Processing…')).not.toBeInTheDocument();
    // The event's one look at the sound, and nothing more.
    await act(async () => vi.advanceTimersByTime(PROCESSING_POLL_MS * 4));
    expect(soundsAsked).toEqual([pending.id]);
  });

  it('renames a listed sound with one look at it, not a new listing', async () => {
    const sound = makeSound({ title: 'Before', processing: 'ready' });
    const sounds = [sound];
    const { listings, soundsAsked } = serveLive(sounds);
    renderLive();
    await expectTitles(['Before']);
    const listedBefore = listings.length;

    sounds[0] = { ...sound, title: 'After' };
    act(() => liveStream().emit(soundEvent('renamed', sound)));
    await expectTitles(['After']);
    expect(soundsAsked).toEqual([sound.id]);
    expect(listings.length).toBe(listedBefore);
  });

  it('keeps the newest of two quick changes even when the older answer comes last', async () => {
    const sound = makeSound({ title: 'First', processing: 'ready' });
    serveLive([sound]);
    let firstArrived!: () => void;
    const arrived = new Promise<void>((resolve) => {
      firstArrived = resolve;
    });
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let asked = 0;
    server.use(
      http.get(`${API}/sounds/:id`, async () => {
        asked += 1;
        if (asked === 1) {
          firstArrived();
          await firstHeld;
          return HttpResponse.json({ ...sound, title: 'Second' });
        }
        return HttpResponse.json({ ...sound, title: 'Third' });
      }),
    );
    renderLive();
    await expectTitles(['First']);

    act(() => liveStream().emit(soundEvent('renamed', sound)));
    await arrived;
    act(() => liveStream().emit(soundEvent('renamed', sound)));
    await expectTitles(['Third']);
    releaseFirst();
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    await expectTitles(['Third']);
  });

  it('refetches the list when the look at a changed sound fails', async () => {
    const sound = makeSound({ title: 'Before', processing: 'ready' });
    const sounds = [sound];
    const { listings } = serveLive(sounds);
    server.use(
      http.get(`${API}/sounds/:id`, () =>
        HttpResponse.json(apiError(503, 'DATABASE_UNAVAILABLE'), { status: 503 }),
      ),
    );
    renderLive();
    await expectTitles(['Before']);
    const listedBefore = listings.length;

    sounds[0] = { ...sound, title: 'After' };
    act(() => liveStream().emit(soundEvent('renamed', sound)));
    await expectTitles(['After']);
    expect(listings.length).toBe(listedBefore + 1);
  });

  it('refetches a searched list when a sound is renamed: it may no longer match', async () => {
    const piano = makeSound({ title: 'Piano practice', processing: 'ready' });
    const sounds = [piano];
    serveLive(sounds);
    renderSounds({ route: '/?q=pia' });
    act(() => liveStream().open());
    await expectTitles(['Piano practice']);

    sounds[0] = { ...piano, title: 'Rain' };
    act(() => liveStream().emit(soundEvent('renamed', piano)));
    expect(await screen.findByText('No sounds match “pia”.')).toBeInTheDocument();
  });

  /**
   * From now on each listing is answered with the sounds as they are when it is asked, but only
   * once released (as a slow server would). Keeps count of the listings asked.
   */
  function holdListings(sounds: Sound[]) {
    const held: Array<() => void> = [];
    let holding = true;
    const asked = { count: 0 };
    server.use(
      http.get(`${API}/sounds`, async () => {
        asked.count += 1;
        const body = soundList([...sounds]);
        if (holding) await new Promise<void>((resolve) => held.push(resolve));
        return HttpResponse.json(body);
      }),
    );
    const release = () => {
      holding = false;
      for (const answer of held.splice(0)) answer();
    };
    return { asked, release };
  }

  it('refetches twice, not once per event, for a burst of new sounds', async () => {
    const sounds = [makeSound({ title: 'Old', processing: 'ready' })];
    serveLive(sounds);
    renderLive();
    await expectTitles(['Old']);
    const listing = holdListings(sounds);

    const burst = Array.from({ length: 20 }, (_, i) =>
      makeSound({ title: `New ${i}`, userId: 2, processing: 'ready' }),
    );
    for (const sound of burst) {
      sounds.unshift(sound);
      act(() => liveStream().emit(soundEvent('created', sound)));
    }
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(listing.asked.count).toBe(1);
    listing.release();
    await expectTitles(sounds.map((sound) => sound.title));
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(listing.asked.count).toBe(2);
  });

  it('does not let a listing asked for before a sound was ready bring its badge back', async () => {
    const pending = makeSound({ title: 'Fresh' });
    const sounds = [pending];
    serveLive(sounds);
    renderLive();
    expect(
      await within(await screen.findByRole('article', { name: /Fresh/ })).findByText('Processing…'),
    ).toBeInTheDocument();
    const listing = holdListings(sounds);

    // Another upload: the listing is asked for while Fresh is still processing…
    const other = makeSound({ title: 'Other', userId: 2, processing: 'ready' });
    sounds.unshift(other);
    act(() => liveStream().emit(soundEvent('created', other)));
    // …and Fresh is ready before that listing lands.
    sounds[1] = asReady(pending);
    act(() => liveStream().emit(soundEvent('processing', sounds[1] as Sound)));
    expect(
      await screen.findByRole('slider', { name: 'Seek in Fresh' }, { timeout: 2000 }),
    ).toBeInTheDocument();

    listing.release();
    await waitFor(() => expect(listing.asked.count).toBe(2));
    await expectTitles(['Other', 'Fresh']);
    const card = screen.getByRole('article', { name: /Fresh/ });
    await waitFor(() => expect(within(card).queryByText('Processing…')).not.toBeInTheDocument());
    expect(within(card).getByRole('slider', { name: 'Seek in Fresh' })).toBeInTheDocument();
  });

  it('does not let a listing asked for before a delete bring the sound back', async () => {
    const [gone, kept] = [
      makeSound({ title: 'Gone', processing: 'ready' }),
      makeSound({ title: 'Kept', processing: 'ready' }),
    ] as [Sound, Sound];
    const sounds = [gone, kept];
    serveLive(sounds);
    renderLive();
    await expectTitles(['Gone', 'Kept']);
    const listing = holdListings(sounds);

    const other = makeSound({ title: 'Other', userId: 2, processing: 'ready' });
    sounds.unshift(other);
    act(() => liveStream().emit(soundEvent('created', other)));
    sounds.splice(sounds.indexOf(gone), 1);
    act(() => liveStream().emit(soundEvent('deleted', gone)));
    await expectTitles(['Kept']);

    listing.release();
    await waitFor(() => expect(listing.asked.count).toBe(2));
    await expectTitles(['Other', 'Kept']);
  });

  it('lets a "Load more" under way land when an event comes meanwhile', async () => {
    const [one, two, three] = ['One', 'Two', 'Three'].map((title) =>
      makeSound({ title, processing: 'ready' }),
    ) as [Sound, Sound, Sound];
    const firstPage = [one, two];
    let releasePage2!: () => void;
    const page2Held = new Promise<void>((resolve) => {
      releasePage2 = resolve;
    });
    server.use(
      http.get(`${API}/sounds`, async ({ request }) => {
        if (new URL(request.url).searchParams.get('cursor') !== 'page-2') {
          return HttpResponse.json(soundList([...firstPage], 'page-2'));
        }
        await page2Held;
        return HttpResponse.json(soundList([three]));
      }),
    );
    const { user } = renderLive();
    await expectTitles(['One', 'Two']);
    await user.click(screen.getByRole('button', { name: 'Load more' }));

    firstPage.splice(1, 1);
    act(() => liveStream().emit(soundEvent('deleted', two)));
    await expectTitles(['One']);
    releasePage2();
    await expectTitles(['One', 'Three']);
    expect(screen.getByText('You have reached the end of the list.')).toBeInTheDocument();
  });

  it('refreshes what its uploader is told of their storage when their sound is added, processed or deleted', async () => {
    const mine = makeSound({ title: 'Mine', userId: ME, processing: 'ready' });
    const theirs = makeSound({ title: 'Theirs', userId: 2, processing: 'ready' });
    const sounds = [mine, theirs];
    serveLive(sounds);
    const meAsked: string[] = [];
    server.use(
      http.get(`${API}/me`, ({ request }) => {
        meAsked.push(String(request.headers.get('X-User-Id')));
        return HttpResponse.json(makeMe(ME));
      }),
    );
    renderWithProviders(
      <>
        <SoundsSection userId={null} title="All sounds" level={2} />
        <UploadPanel />
      </>,
      { userId: ME },
    );
    act(() => liveStream().open());
    await expectTitles(['Mine', 'Theirs']);
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    const askedBefore = meAsked.length;
    expect(askedBefore).toBeGreaterThan(0);

    for (const kind of ['created', 'processing', 'deleted', 'renamed', 'updated'] as const) {
      act(() => liveStream().emit(soundEvent(kind, theirs)));
    }
    act(() => liveStream().emit(soundEvent('renamed', mine)));
    act(() => liveStream().emit(soundEvent('updated', mine)));
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(meAsked).toHaveLength(askedBefore);

    for (const kind of ['created', 'processing', 'deleted'] as const) {
      act(() => liveStream().emit(soundEvent(kind, mine)));
      await waitFor(() => expect(meAsked.length).toBeGreaterThan(askedBefore));
      meAsked.length = askedBefore;
    }
  });

  it('asks about nothing it does not show', async () => {
    const { soundsAsked } = serveLive([makeSound({ title: 'Shown', processing: 'ready' })]);
    renderLive();
    await expectTitles(['Shown']);
    act(() => liveStream().emit(soundEvent('processing', makeSound({ processing: 'ready' }))));
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(soundsAsked).toEqual([]);
  });

  it('takes a sound deleted elsewhere out of the list at once', async () => {
    const [gone, kept] = [makeSound({ title: 'Gone' }), makeSound({ title: 'Kept' })] as [
      Sound,
      Sound,
    ];
    const sounds = [gone, kept];
    const { listings } = serveLive(sounds);
    renderLive();
    await expectTitles(['Gone', 'Kept']);
    const listedBefore = listings.length;

    sounds.shift();
    act(() => liveStream().emit(soundEvent('deleted', gone)));
    await expectTitles(['Kept']);
    expect(listings.length).toBe(listedBefore);
  });

  it('reloads the list when the stream says it missed too much (reset)', async () => {
    const sounds = [makeSound({ title: 'Before', processing: 'ready' })];
    const { listings } = serveLive(sounds);
    renderLive();
    await expectTitles(['Before']);
    const listedBefore = listings.length;

    sounds.splice(0, 1, makeSound({ title: 'Meanwhile', processing: 'ready' }));
    act(() => liveStream().emit({ kind: 'reset' }, 99));
    await expectTitles(['Meanwhile']);
    expect(listings.length).toBe(listedBefore + 1);
  });

  it('reloads the list once when the stream first opens, not when the browser reconnects', async () => {
    const sounds = [makeSound({ title: 'Loaded first', processing: 'ready' })];
    const { listings } = serveLive(sounds);
    renderSounds();
    await expectTitles(['Loaded first']);

    // Uploaded between the first listing and the stream's opening: no event tells of it.
    sounds.unshift(makeSound({ title: 'Before the stream', processing: 'ready' }));
    act(() => liveStream().open());
    await expectTitles(['Before the stream', 'Loaded first']);
    expect(listings).toHaveLength(2);

    act(() => {
      liveStream().drop();
      liveStream().open();
    });
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(listings).toHaveLength(2);
  });

  it('keeps a sound whose delete waits out of a list refetched meanwhile', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const mine = makeSound({ title: 'Mine', userId: ME, processing: 'ready' });
    const sounds = [mine];
    const { listings } = serveLive(sounds);
    const { user } = renderLive({ userId: ME, fakeTimers: true });
    await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));
    // Even when an assertion fails, no delete outlives this test.
    onTestFinished(() => {
      undoDelete(mine.id);
    });
    await waitFor(() => expect(screen.queryByRole('article', { name: 'Mine' })).toBeNull());
    const listedBefore = listings.length;

    // Someone uploads while the delete can still be undone: the server still lists "Mine".
    const theirs = makeSound({ title: 'Theirs', userId: 2, processing: 'ready' });
    sounds.unshift(theirs);
    act(() => liveStream().emit(soundEvent('created', theirs)));
    await waitFor(() => expect(listings.length).toBe(listedBefore + 1));
    await expectTitles(['Theirs']);

    await user.click(within(notifications()).getByRole('button', { name: 'Undo deleting “Mine”' }));
    await expectTitles(['Theirs', 'Mine']);
  });
});

describe('a sound whose processing failed', () => {
  const REASON = {
    code: 'not-audio' as const,
    message: 'The file holds no audio Cloud Sound can decode.',
  };

  /**
   * Serves a failed sound of ME as the API does: listings never say why; `GET /sounds/:id` says
   * it only to the uploader's `X-User-Id`. Keeps who asked.
   */
  function serveFailed(title = 'Broken') {
    const failed = makeSound({ title, userId: ME, processing: 'failed' });
    const askedBy: (string | null)[] = [];
    server.use(
      http.get(`${API}/sounds`, () => HttpResponse.json(soundList([failed]))),
      http.get(`${API}/sounds/:id`, ({ request }) => {
        const viewer = request.headers.get('X-User-Id');
        askedBy.push(viewer);
        return HttpResponse.json({
          ...failed,
          processingError: viewer === String(ME) ? REASON : null,
        });
      }),
    );
    return { failed, askedBy };
  }

  it('tells its uploader why, from the sound asked for with their id, and offers to try again', async () => {
    const { askedBy } = serveFailed();
    renderSounds({ userId: ME });
    const card = await screen.findByRole('article', { name: 'Broken' });
    expect(
      await within(card).findByText(
        'Processing failed. The file holds no audio Cloud Sound can decode.',
      ),
    ).toBeInTheDocument();
    expect(
      within(card).getByRole('button', { name: 'Try again to process Broken' }),
    ).toHaveTextContent('Try again');
    expect(askedBy).toEqual([String(ME)]);
  });

  it.each([
    ['someone else', 2],
    ['a visitor', undefined],
  ])('tells %s nothing of it, and offers no retry', async (_who, userId) => {
    const { askedBy } = serveFailed();
    renderSounds({ userId });
    const card = await screen.findByRole('article', { name: 'Broken' });
    // Give a stray fetch of the reason the time to land.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(within(card).queryByText(/Processing failed/)).not.toBeInTheDocument();
    expect(within(card).queryByRole('button', { name: /Try again/ })).not.toBeInTheDocument();
    expect(askedBy).toEqual([]);
  });

  it('is processed again on "Try again": processing at once, said politely, then ready', async () => {
    const { failed } = serveFailed();
    const retries: (string | null)[] = [];
    let state: 'pending' | 'ready' = 'pending';
    const ready = {
      ...failed,
      processing: 'ready' as const,
      durationMs: 3000,
      waveformUrl: `${API}/sounds/${failed.id}/waveform`,
      streamUrl: `${API}/sounds/${failed.id}/stream`,
    };
    server.use(
      http.post(`${API}/sounds/:id/retry`, ({ request }) => {
        retries.push(request.headers.get('X-User-Id'));
        return HttpResponse.json({ ...failed, processing: 'pending' }, { status: 202 });
      }),
      // Listed and asked about as processing, until it is ready.
      http.get(`${API}/sounds`, () =>
        HttpResponse.json(
          soundList([
            retries.length === 0
              ? failed
              : state === 'ready'
                ? ready
                : { ...failed, processing: 'pending' },
          ]),
        ),
      ),
      http.get(`${API}/sounds/:id`, ({ request }) => {
        if (retries.length === 0) {
          const viewer = request.headers.get('X-User-Id');
          return HttpResponse.json({
            ...failed,
            processingError: viewer === String(ME) ? REASON : null,
          });
        }
        return HttpResponse.json(state === 'ready' ? ready : { ...failed, processing: 'pending' });
      }),
    );
    const { user } = renderSounds({ userId: ME });
    // The live events are down: the sound is polled until it is ready.
    act(() => liveStream().fail());
    const card = await screen.findByRole('article', { name: 'Broken' });
    await user.click(
      await within(card).findByRole('button', { name: 'Try again to process Broken' }),
    );

    expect(await within(card).findByText('Processing…')).toBeInTheDocument();
    expect(within(card).queryByText(/Processing failed/)).not.toBeInTheDocument();
    expect(retries).toEqual([String(ME)]);
    await waitFor(() => expect(notifications()).toHaveTextContent('Processing “Broken” again.'));
    // Focus is not lost with the button: it is on the sound's play button.
    await waitFor(() =>
      expect(within(card).getByRole('button', { name: 'Play Broken' })).toHaveFocus(),
    );

    state = 'ready';
    expect(
      await within(card).findByRole('slider', { name: 'Seek in Broken' }, { timeout: 5000 }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('tells why again when it fails again', async () => {
    const { failed } = serveFailed();
    const reasons = [
      REASON,
      { code: 'over-time' as const, message: 'Processing it took longer than one sound may take.' },
    ];
    let retried = false;
    let polls = 0;
    server.use(
      http.post(`${API}/sounds/:id/retry`, () => {
        retried = true;
        return HttpResponse.json({ ...failed, processing: 'pending' }, { status: 202 });
      }),
      http.get(`${API}/sounds`, () =>
        HttpResponse.json(soundList([{ ...failed, processing: retried ? 'pending' : 'failed' }])),
      ),
      http.get(`${API}/sounds/:id`, ({ request }) => {
        const own = request.headers.get('X-User-Id') === String(ME);
        if (retried) polls += 1;
        // Processing (once), then failed again, for another reason.
        const processing = retried && polls < 2 ? 'pending' : 'failed';
        return HttpResponse.json({
          ...failed,
          processing,
          processingError: own && processing === 'failed' ? reasons[retried ? 1 : 0] : null,
        });
      }),
    );
    const { user, queryClient } = renderSounds({ userId: ME });
    // As the app's client: what was just written to the cache is fresh for a while.
    const defaults = queryClient.getDefaultOptions();
    queryClient.setDefaultOptions({
      ...defaults,
      queries: { ...defaults.queries, staleTime: 15_000 },
    });
    const card = await screen.findByRole('article', { name: 'Broken' });
    expect(await within(card).findByText(/Cloud Sound can decode\./)).toBeInTheDocument();
    await user.click(within(card).getByRole('button', { name: 'Try again to process Broken' }));
    expect(await within(card).findByText('Processing…')).toBeInTheDocument();
    expect(
      await within(card).findByText(
        'Processing failed. Processing it took longer than one sound may take.',
        undefined,
        { timeout: 5000 },
      ),
    ).toBeInTheDocument();
  });

  it.each([
    [409, 'NOT_FAILED', '“Broken” is already being processed, or is done.'],
    [503, 'DATABASE_UNAVAILABLE', 'Could not process “Broken” again. The sound library is down'],
  ])('says in an alert when the retry is refused (%i)', async (status, code, message) => {
    serveFailed();
    server.use(
      http.post(`${API}/sounds/:id/retry`, () =>
        HttpResponse.json(apiError(status, code), { status }),
      ),
    );
    const { user } = renderSounds({ userId: ME });
    const card = await screen.findByRole('article', { name: 'Broken' });
    await user.click(
      await within(card).findByRole('button', { name: 'Try again to process Broken' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(message);
  });
});

describe('searching', () => {
  it('searches as the person types, with the words in the address', async () => {
    const listings = serveSounds([
      makeSound({ title: 'Piano practice' }),
      makeSound({ title: 'Rain on a roof' }),
    ]);
    const { user, location } = renderSounds();
    await expectTitles(['Piano practice', 'Rain on a roof']);

    const box = within(screen.getByRole('search')).getByRole('searchbox', {
      name: 'Search sounds',
    });
    await user.type(box, 'pia');
    await waitFor(() => expect(location.current).toBe('/?q=pia'));
    await waitFor(async () => expect(await soundTitles()).toEqual(['Piano practice']));
    // Debounced: one search for the three letters, not three.
    expect(
      listings.filter((url) => url.searchParams.has('q')).map((url) => url.searchParams.get('q')),
    ).toEqual(['pia']);
    expect(screen.getByRole('list', { name: 'All sounds matching “pia”' })).toBeInTheDocument();

    await user.clear(box);
    await waitFor(() => expect(location.current).toBe('/'));
    await waitFor(async () => expect(await soundTitles()).toHaveLength(2));
  });

  it('starts from the query in the address', async () => {
    serveSounds([makeSound({ title: 'Piano practice' }), makeSound({ title: 'Rain' })]);
    renderSounds({ route: '/?q=rai' });
    expect(await screen.findByRole('searchbox', { name: 'Search sounds' })).toHaveValue('rai');
    await waitFor(async () => expect(await soundTitles()).toEqual(['Rain']));
  });
});

describe('renaming', () => {
  function renameHandler(reply: (title: string) => Response | Promise<Response>) {
    const bodies: unknown[] = [];
    server.use(
      http.patch(`${API}/sounds/:id`, async ({ request }) => {
        const body = (await request.json()) as { title: string };
        bodies.push({ body, userId: request.headers.get('X-User-Id') });
        return reply(body.title);
      }),
    );
    return bodies;
  }

  it('lets the uploader edit the title in place: Enter saves at once, optimistically', async () => {
    const mine = makeSound({ title: 'Old name', userId: ME });
    serveSounds([mine, makeSound({ title: 'Theirs', userId: 2 })]);
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const bodies = renameHandler(async (title) => {
      await answered;
      return HttpResponse.json({ ...mine, title });
    });
    const { user } = renderSounds({ userId: ME });

    await user.click(await screen.findByRole('button', { name: 'Edit title of Old name' }));
    expect(screen.queryByRole('button', { name: /Edit title of Theirs/ })).not.toBeInTheDocument();
    const input = screen.getByRole('textbox', { name: 'Title' });
    expect(input).toHaveFocus();
    expect(input).toHaveAttribute('maxlength', '200');
    await user.clear(input);
    await user.type(input, 'New name{Enter}');

    // Shown before the server has answered.
    await expectTitles(['New name', 'Theirs']);
    expect(bodies).toEqual([{ body: { title: 'New name' }, userId: String(ME) }]);
    answer();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Edit title of New name' })).toBeInTheDocument(),
    );
  });

  it('cancels with Escape, sending nothing', async () => {
    serveSounds([makeSound({ title: 'Keep me', userId: ME })]);
    const bodies = renameHandler(() => HttpResponse.json({}));
    const { user } = renderSounds({ userId: ME });
    await user.click(await screen.findByRole('button', { name: 'Edit title of Keep me' }));
    await user.type(screen.getByRole('textbox', { name: 'Title' }), ' changed{Escape}');
    expect(screen.queryByRole('textbox', { name: 'Title' })).not.toBeInTheDocument();
    await expectTitles(['Keep me']);
    expect(bodies).toEqual([]);
  });

  it('puts the old title back with an alert when the server refuses', async () => {
    serveSounds([makeSound({ title: 'Original', userId: ME })]);
    renameHandler(() => HttpResponse.json(apiError(403, 'NOT_OWNER'), { status: 403 }));
    const { user } = renderSounds({ userId: ME });
    await user.click(await screen.findByRole('button', { name: 'Edit title of Original' }));
    const input = screen.getByRole('textbox', { name: 'Title' });
    await user.clear(input);
    await user.type(input, 'Hijacked');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not rename “Original”, so it keeps its old title. Only its uploader may rename it.',
    );
    await waitFor(async () => expect(await soundTitles()).toEqual(['Original']));
  });
});

describe('deleting', () => {
  function deleteHandler(reply: (id: string) => Response | Promise<Response>) {
    const deleted: string[] = [];
    server.use(
      http.delete(`${API}/sounds/:id`, async ({ params, request }) => {
        deleted.push(`${params.id} by ${request.headers.get('X-User-Id')}`);
        return reply(String(params.id));
      }),
    );
    return deleted;
  }

  it('removes the sound at once and sends the delete only when the 5 seconds to undo are over', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const mine = makeSound({ title: 'Mine', userId: ME });
    const sounds = [mine, makeSound({ title: 'Theirs', userId: 2 })];
    const listings = serveSounds(sounds);
    const deleted = deleteHandler(() => {
      sounds.splice(sounds.indexOf(mine), 1);
      return new HttpResponse(null, { status: 204 });
    });
    const { user } = renderSounds({ userId: ME, fakeTimers: true });

    await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));
    await expectTitles(['Theirs']);
    expect(notifications()).toHaveTextContent('Deleted “Mine”.');
    expect(
      within(notifications()).getByRole('button', { name: 'Undo deleting “Mine”' }),
    ).toBeInTheDocument();
    expect(deleted).toEqual([]);

    const listedBefore = listings.length;
    await act(async () => vi.advanceTimersByTime(UNDO_WINDOW_MS));
    await waitFor(() => expect(deleted).toEqual([`${mine.id} by ${ME}`]));
    await waitFor(() => expect(listings.length).toBe(listedBefore + 1));
    await expectTitles(['Theirs']);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('puts the sound back when Undo is pressed in time, and sends nothing', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    serveSounds([
      makeSound({ title: 'Mine', userId: ME }),
      makeSound({ title: 'Other', userId: ME }),
    ]);
    const deleted = deleteHandler(() => new HttpResponse(null, { status: 204 }));
    const { user } = renderSounds({ userId: ME, fakeTimers: true });

    await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));
    await expectTitles(['Other']);
    await user.click(within(notifications()).getByRole('button', { name: 'Undo deleting “Mine”' }));
    await expectTitles(['Mine', 'Other']);
    expect(notifications()).toHaveTextContent('“Mine” is back.');

    await act(async () => vi.advanceTimersByTime(UNDO_WINDOW_MS * 2));
    expect(deleted).toEqual([]);
  });

  it('sends the delete at once when the page is hidden', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    serveSounds([makeSound({ title: 'Mine', userId: ME })]);
    const deleted = deleteHandler(() => new HttpResponse(null, { status: 204 }));
    const { user } = renderSounds({ userId: ME, fakeTimers: true });
    await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));

    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    fireEvent(document, new Event('visibilitychange'));
    visibility.mockRestore();
    await waitFor(() => expect(deleted).toHaveLength(1));
  });

  it.each([
    [
      403,
      'NOT_OWNER',
      'Could not delete “Mine”, so it is back in the list. Only its uploader may delete it.',
    ],
    [
      503,
      'USER_API_UNAVAILABLE',
      'Could not delete “Mine”, so it is back in the list. The user service is down',
    ],
  ])(
    'puts the sound back with an alert when the server answers %i',
    async (status, code, message) => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      serveSounds([
        makeSound({ title: 'Mine', userId: ME }),
        makeSound({ title: 'Theirs', userId: 2 }),
      ]);
      deleteHandler(() => HttpResponse.json(apiError(status, code), { status }));
      const { user } = renderSounds({ userId: ME, fakeTimers: true });

      await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));
      await expectTitles(['Theirs']);
      await act(async () => vi.advanceTimersByTime(UNDO_WINDOW_MS));

      expect(await screen.findByRole('alert')).toHaveTextContent(message);
      await expectTitles(['Mine', 'Theirs']);
      await user.click(screen.getByRole('button', { name: 'Dismiss' }));
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    },
  );

  it('keeps several deletes correct: one refused comes back while the other stays hidden', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const [a, b, c] = [
      makeSound({ title: 'A', userId: ME }),
      makeSound({ title: 'B', userId: ME }),
      makeSound({ title: 'C', userId: ME }),
    ] as [Sound, Sound, Sound];
    const sounds = [a, b, c];
    const listings = serveSounds(sounds);
    let releaseB!: () => void;
    const bAnswered = new Promise<void>((resolve) => {
      releaseB = resolve;
    });
    deleteHandler(async (id) => {
      if (id === a.id) return HttpResponse.json(apiError(403, 'NOT_OWNER'), { status: 403 });
      await bAnswered;
      sounds.splice(sounds.indexOf(b), 1);
      return new HttpResponse(null, { status: 204 });
    });
    const { user } = renderSounds({ userId: ME, fakeTimers: true });

    await user.click(await screen.findByRole('button', { name: 'Delete A' }));
    await user.click(screen.getByRole('button', { name: 'Delete B' }));
    await expectTitles(['C']);
    const listedBefore = listings.length;
    await act(async () => vi.advanceTimersByTime(UNDO_WINDOW_MS));

    // A is refused while B is still in flight: A comes back, B stays hidden, nothing refetches.
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not delete “A”');
    await expectTitles(['A', 'C']);
    expect(listings.length).toBe(listedBefore);

    releaseB();
    await waitFor(() => expect(listings.length).toBe(listedBefore + 1));
    await waitFor(async () => expect(await soundTitles()).toEqual(['A', 'C']));
  });
});

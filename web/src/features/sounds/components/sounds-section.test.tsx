import { screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import type { Sound } from '../../../lib/api/client.ts';
import { API, apiError, makeSound, soundList } from '../../../testing/fixtures.ts';
import { setupMockApi } from '../../../testing/msw.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { SoundsSection } from './sounds-section.tsx';

const ME = 1;
const server = setupMockApi(
  http.get(`${API}/me`, ({ request }) =>
    HttpResponse.json({ id: Number(request.headers.get('X-User-Id')) }),
  ),
);

/** Serves `sounds` as the API would (newest first, `userId` filter) and counts the listings. */
function serveSounds(sounds: Sound[]) {
  const listings: URL[] = [];
  server.use(
    http.get(`${API}/sounds`, ({ request }) => {
      const url = new URL(request.url);
      listings.push(url);
      const userId = url.searchParams.get('userId');
      return HttpResponse.json(
        soundList(sounds.filter((sound) => userId === null || sound.userId === Number(userId))),
      );
    }),
  );
  return listings;
}

/** A promise the test settles by hand, to hold a reply back. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

function renderSounds(options: { userId?: number } = {}) {
  return renderWithProviders(<SoundsSection />, options);
}

async function soundTitles() {
  const list = await screen.findByRole('list', { name: /sounds/ });
  return within(list)
    .getAllByRole('heading', { level: 3 })
    .map((heading) => heading.textContent);
}

describe('listening', () => {
  it('lists sounds newest first with their details and a player named by the title', async () => {
    const sound = makeSound({
      title: 'Morning birds',
      userId: 3,
      size: 1_530_000,
      durationMs: 125_000,
      createdAt: '2025-03-04T05:06:07.000Z',
    });
    const older = makeSound({ title: 'Rain', durationMs: null });
    serveSounds([sound, older]);
    renderSounds();

    expect(screen.getByText('Loading sounds…')).toBeInTheDocument();
    expect(await soundTitles()).toEqual(['Morning birds', 'Rain']);

    const card = screen.getByRole('article', { name: 'Morning birds' });
    expect(within(card).getByText('user 3')).toBeInTheDocument();
    expect(within(card).getByText('2:05')).toBeInTheDocument();
    expect(within(card).getByText('1.5 MB')).toBeInTheDocument();
    expect(within(card).getByText(/2025/)).toHaveAttribute('datetime', sound.createdAt);

    const player = within(card).getByLabelText('Morning birds');
    expect(player.tagName).toBe('AUDIO');
    expect(player).toHaveAttribute('controls');
    expect(player).toHaveAttribute('preload', 'metadata');
    expect(player).toHaveAttribute('src', sound.audioUrl);

    // An unknown duration is left out rather than shown as 0:00.
    const rain = screen.getByRole('article', { name: 'Rain' });
    expect(within(rain).queryByText('Length')).not.toBeInTheDocument();
    // Nobody is logged in: nothing can be deleted.
    expect(screen.queryByRole('button', { name: /Delete/ })).not.toBeInTheDocument();
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
    expect(await soundTitles()).toEqual(['Back again']);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('loads more over the cursor until the last page', async () => {
    const first = [makeSound({ title: 'One' }), makeSound({ title: 'Two' })];
    const second = [makeSound({ title: 'Three' })];
    const cursors: (string | null)[] = [];
    server.use(
      http.get(`${API}/sounds`, ({ request }) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        cursors.push(cursor);
        return HttpResponse.json(
          cursor === 'page-2' ? soundList(second) : soundList(first, 'page-2'),
        );
      }),
    );
    const { user } = renderSounds();

    expect(await soundTitles()).toEqual(['One', 'Two']);
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(async () => expect(await soundTitles()).toEqual(['One', 'Two', 'Three']));
    expect(cursors).toEqual([null, 'page-2']);
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(screen.getByText('You have reached the end of the list.')).toBeInTheDocument();
  });

  it('filters to my sounds when logged in', async () => {
    const listings = serveSounds([
      makeSound({ title: 'Mine', userId: ME }),
      makeSound({ title: 'Theirs', userId: 2 }),
    ]);
    const { user } = renderSounds({ userId: ME });

    await user.click(await screen.findByRole('radio', { name: 'My sounds' }));
    expect(screen.getByRole('heading', { name: 'My sounds' })).toBeInTheDocument();
    await waitFor(async () => expect(await soundTitles()).toEqual(['Mine']));
    expect(listings.at(-1)?.searchParams.get('userId')).toBe(String(ME));

    await user.click(screen.getByRole('radio', { name: 'All sounds' }));
    await waitFor(async () => expect(await soundTitles()).toEqual(['Mine', 'Theirs']));
  });

  it('says when I have no sounds of my own', async () => {
    serveSounds([makeSound({ userId: 2 })]);
    const { user } = renderSounds({ userId: ME });
    await user.click(await screen.findByRole('radio', { name: 'My sounds' }));
    expect(await screen.findByText('You have not uploaded any sounds yet.')).toBeInTheDocument();
  });
});

describe('deleting', () => {
  it('offers delete only on my own sounds', async () => {
    serveSounds([
      makeSound({ title: 'Mine', userId: ME }),
      makeSound({ title: 'Theirs', userId: 2 }),
    ]);
    renderSounds({ userId: ME });

    expect(await screen.findByRole('button', { name: 'Delete Mine' })).toBeInTheDocument();
    const theirs = screen.getByRole('article', { name: 'Theirs' });
    expect(within(theirs).queryByRole('button')).not.toBeInTheDocument();
  });

  it('removes the sound at once and keeps it gone when the server agrees', async () => {
    const mine = makeSound({ title: 'Mine', userId: ME });
    const sounds = [mine, makeSound({ title: 'Theirs', userId: 2 })];
    const listings = serveSounds(sounds);
    const reply = gate();
    const deleted: string[] = [];
    server.use(
      http.delete(`${API}/sounds/:id`, async ({ params, request }) => {
        deleted.push(`${params.id} by ${request.headers.get('X-User-Id')}`);
        await reply.opened;
        sounds.splice(sounds.indexOf(mine), 1);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = renderSounds({ userId: ME });

    await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));
    // Gone before the server has answered.
    expect(await soundTitles()).toEqual(['Theirs']);
    expect(deleted).toEqual([`${mine.id} by ${ME}`]);

    const listedBefore = listings.length;
    reply.open();
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Deleted “Mine”.'));
    await waitFor(() => expect(listings.length).toBe(listedBefore + 1));
    expect(await soundTitles()).toEqual(['Theirs']);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
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
      serveSounds([
        makeSound({ title: 'Mine', userId: ME }),
        makeSound({ title: 'Theirs', userId: 2 }),
      ]);
      const reply = gate();
      server.use(
        http.delete(`${API}/sounds/:id`, async () => {
          await reply.opened;
          return HttpResponse.json(apiError(status, code), { status });
        }),
      );
      const { user } = renderSounds({ userId: ME });

      await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));
      expect(await soundTitles()).toEqual(['Theirs']);

      reply.open();
      expect(await screen.findByRole('alert')).toHaveTextContent(message);
      expect(await soundTitles()).toEqual(['Mine', 'Theirs']);

      await user.click(screen.getByRole('button', { name: 'Dismiss' }));
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    },
  );

  it('keeps several deletes in flight correct, and refetches once when the last one settles', async () => {
    const [a, b, c] = [
      makeSound({ title: 'A', userId: ME }),
      makeSound({ title: 'B', userId: ME }),
      makeSound({ title: 'C', userId: ME }),
    ] as [Sound, Sound, Sound];
    const sounds = [a, b, c];
    const listings = serveSounds(sounds);
    const replies = new Map([
      [a.id, gate()],
      [b.id, gate()],
    ]);
    server.use(
      http.delete(`${API}/sounds/:id`, async ({ params }) => {
        const id = String(params.id);
        await replies.get(id)?.opened;
        if (id === a.id) return HttpResponse.json(apiError(403, 'NOT_OWNER'), { status: 403 });
        sounds.splice(sounds.indexOf(b), 1);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = renderSounds({ userId: ME });

    await user.click(await screen.findByRole('button', { name: 'Delete A' }));
    await user.click(screen.getByRole('button', { name: 'Delete B' }));
    expect(await soundTitles()).toEqual(['C']);
    const listedBefore = listings.length;

    // A is refused while B is still in flight: A comes back, B stays hidden, nothing refetches.
    replies.get(a.id)?.open();
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not delete “A”');
    expect(await soundTitles()).toEqual(['A', 'C']);
    expect(listings.length).toBe(listedBefore);

    // B succeeds last: one refetch, and the list matches the server.
    replies.get(b.id)?.open();
    await waitFor(() => expect(listings.length).toBe(listedBefore + 1));
    await waitFor(async () => expect(await soundTitles()).toEqual(['A', 'C']));
  });
});

import { screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { expect, it } from 'vitest';
import { API, makeMe, makeSound, soundList } from '../testing/fixtures.ts';
import { setupMockApi } from '../testing/msw.ts';
import { renderWithProviders } from '../testing/render.tsx';
import { AppRoutes } from './router.tsx';

const welcome = makeSound({ title: 'Welcome', userId: 2 });
const server = setupMockApi(
  http.get(`${API}/me`, ({ request }) =>
    HttpResponse.json(makeMe(Number(request.headers.get('X-User-Id')))),
  ),
  http.get(`${API}/sounds`, () => HttpResponse.json(soundList([welcome]))),
  http.get(`${API}/sounds/:id`, ({ params }) =>
    params.id === welcome.id
      ? HttpResponse.json(welcome)
      : HttpResponse.json(
          {
            statusCode: 404,
            error: 'Not Found',
            message: 'No such sound',
            code: 'SOUND_NOT_FOUND',
          },
          { status: 404 },
        ),
  ),
);

it('shows the sounds and the ways in to a visitor, and the upload form once logged in', async () => {
  const { user } = renderWithProviders(<AppRoutes />);
  expect(screen.getByRole('heading', { level: 1, name: 'Cloud Sound' })).toBeInTheDocument();
  expect(await screen.findByRole('article', { name: 'Welcome' })).toBeInTheDocument();
  expect(screen.getByRole('form', { name: 'Register' })).toBeInTheDocument();
  expect(screen.queryByRole('region', { name: 'Upload sounds' })).not.toBeInTheDocument();
  expect(screen.queryByRole('link', { name: 'My sounds' })).not.toBeInTheDocument();

  const login = screen.getByRole('form', { name: 'Log in' });
  await user.type(within(login).getByLabelText('Your user id'), '3');
  await user.click(within(login).getByRole('button', { name: 'Log in' }));
  expect(await screen.findByRole('region', { name: 'Upload sounds' })).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'My sounds' })).toHaveAttribute('href', '/users/3');
  expect(screen.queryByRole('form', { name: 'Log in' })).not.toBeInTheDocument();

  await user.click(screen.getByRole('button', { name: 'Log out' }));
  await waitFor(() =>
    expect(screen.queryByRole('region', { name: 'Upload sounds' })).not.toBeInTheDocument(),
  );
});

it('can be used from the keyboard alone', async () => {
  const { user } = renderWithProviders(<AppRoutes />);
  await screen.findByRole('article', { name: 'Welcome' });
  await user.tab();
  expect(screen.getByRole('link', { name: 'Skip to content' })).toHaveFocus();
  await user.tab();
  expect(screen.getByRole('link', { name: 'Cloud Sound' })).toHaveFocus();
  await user.tab();
  expect(screen.getByRole('link', { name: 'All sounds' })).toHaveFocus();
  // The log-in field comes right after the header; Enter submits.
  await user.tab();
  expect(screen.getByLabelText('Your user id')).toHaveFocus();
  await user.keyboard('3{Enter}');
  const logOut = await screen.findByRole('button', { name: 'Log out' });
  // Tab goes through the header (skip link, brand, All sounds, My sounds) to Log out…
  for (let step = 0; step < 6 && document.activeElement !== logOut; step++) await user.tab();
  expect(logOut).toHaveFocus();
  // …and on to the upload form.
  await user.tab();
  expect(screen.getByLabelText('Audio files')).toHaveFocus();
});

it('has a page per sound and per person, and a 404 page for unknown addresses and sounds', async () => {
  const sound = renderWithProviders(<AppRoutes />, { route: `/sounds/${welcome.id}` });
  expect(await screen.findByRole('heading', { level: 1, name: 'Welcome' })).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Download the original' })).toHaveAttribute(
    'href',
    welcome.audioUrl,
  );
  expect(document.title).toBe('Welcome · Cloud Sound');
  sound.unmount();

  const person = renderWithProviders(<AppRoutes />, { route: '/users/2' });
  expect(
    await screen.findByRole('heading', { level: 1, name: 'Sounds by user 2' }),
  ).toBeInTheDocument();
  expect(await screen.findByRole('article', { name: 'Welcome' })).toBeInTheDocument();
  person.unmount();

  const unknownSound = renderWithProviders(<AppRoutes />, { route: '/sounds/nope' });
  expect(
    await screen.findByRole('heading', { level: 1, name: 'Sound not found' }),
  ).toBeInTheDocument();
  unknownSound.unmount();

  renderWithProviders(<AppRoutes />, { route: '/no/such/page' });
  expect(screen.getByRole('heading', { level: 1, name: 'Page not found' })).toBeInTheDocument();
  expect(document.title).toBe('Page not found · Cloud Sound');
  expect(server.listHandlers().length).toBeGreaterThan(0);
});

import { screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { expect, it } from 'vitest';
import { API, makeSound, soundList } from '../testing/fixtures.ts';
import { setupMockApi } from '../testing/msw.ts';
import { renderWithProviders } from '../testing/render.tsx';
import { HomePage } from './app.tsx';
import { AppLayout } from './layout.tsx';

setupMockApi(
  http.get(`${API}/me`, ({ request }) =>
    HttpResponse.json({ id: Number(request.headers.get('X-User-Id')) }),
  ),
  http.get(`${API}/sounds`, () =>
    HttpResponse.json(soundList([makeSound({ title: 'Welcome', userId: 2 })])),
  ),
);

function renderApp() {
  return renderWithProviders(
    <AppLayout>
      <HomePage />
    </AppLayout>,
  );
}

it('shows the sounds and the ways in to a visitor, and the upload form once logged in', async () => {
  const { user } = renderApp();
  expect(screen.getByRole('heading', { level: 1, name: 'Cloud Sound' })).toBeInTheDocument();
  expect(await screen.findByRole('article', { name: 'Welcome' })).toBeInTheDocument();
  expect(screen.getByRole('form', { name: 'Register' })).toBeInTheDocument();
  expect(screen.queryByRole('region', { name: 'Upload sounds' })).not.toBeInTheDocument();
  expect(screen.queryByRole('radio', { name: 'My sounds' })).not.toBeInTheDocument();

  const login = screen.getByRole('form', { name: 'Log in' });
  await user.type(within(login).getByLabelText('Your user id'), '3');
  await user.click(within(login).getByRole('button', { name: 'Log in' }));

  expect(await screen.findByRole('region', { name: 'Upload sounds' })).toBeInTheDocument();
  expect(screen.getByRole('radio', { name: 'My sounds' })).toBeInTheDocument();
  expect(screen.queryByRole('form', { name: 'Log in' })).not.toBeInTheDocument();

  await user.click(screen.getByRole('button', { name: 'Log out' }));
  await waitFor(() =>
    expect(screen.queryByRole('region', { name: 'Upload sounds' })).not.toBeInTheDocument(),
  );
});

it('can be used from the keyboard alone', async () => {
  const { user } = renderApp();
  await screen.findByRole('article', { name: 'Welcome' });

  // Tab reaches the log-in field first; Enter submits.
  await user.tab();
  expect(screen.getByLabelText('Your user id')).toHaveFocus();
  await user.keyboard('3{Enter}');
  await screen.findByRole('button', { name: 'Log out' });

  await user.tab();
  expect(screen.getByRole('button', { name: 'Log out' })).toHaveFocus();
  await user.tab();
  expect(screen.getByLabelText('Audio files')).toHaveFocus();
});

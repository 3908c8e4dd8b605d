import { screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { SESSION_STORAGE_KEY } from '../../../lib/session.tsx';
import { API, apiError, makeMe } from '../../../testing/fixtures.ts';
import { setupMockApi } from '../../../testing/msw.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { AccountPanel } from './account-panel.tsx';
import { SessionBar } from './session-bar.tsx';

/** `GET /me` as the API answers it: 200 for the ids in `known`, 401 for any other. */
function meHandler(known: number[]) {
  return http.get(`${API}/me`, ({ request }) => {
    const id = Number(request.headers.get('X-User-Id'));
    return known.includes(id)
      ? HttpResponse.json(makeMe(id))
      : HttpResponse.json(apiError(401, 'UNKNOWN_USER', `No user has id ${id}`), { status: 401 });
  });
}

const server = setupMockApi(meHandler([7]));

function renderAccount() {
  return renderWithProviders(
    <>
      <SessionBar />
      <AccountPanel />
    </>,
  );
}

function loginForm() {
  return screen.getByRole('form', { name: 'Log in' });
}

function registerForm() {
  return screen.getByRole('form', { name: 'Register' });
}

describe('logging in', () => {
  it('logs in once GET /me confirms the id, and keeps the id for the next visit', async () => {
    const { user } = renderAccount();
    expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Not logged in');

    await user.type(within(loginForm()).getByLabelText('Your user id'), '7');
    await user.click(within(loginForm()).getByRole('button', { name: 'Log in' }));

    expect(await screen.findByText('user 7')).toBeInTheDocument();
    expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Logged in as user 7');
    expect(screen.queryByRole('form', { name: 'Log in' })).not.toBeInTheDocument();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBe('7');
  });

  it('says so when the id is not registered, and stays logged out', async () => {
    const { user } = renderAccount();
    await user.type(within(loginForm()).getByLabelText('Your user id'), '8');
    await user.keyboard('{Enter}');

    expect(await within(loginForm()).findByRole('alert')).toHaveTextContent(
      'There is no user 8. Check the number, or register it first.',
    );
    expect(within(loginForm()).getByLabelText('Your user id')).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it('explains what a user id is before asking the server', async () => {
    const { user, queryClient } = renderAccount();
    // The range comes from GET /limits.
    await waitFor(() => expect(queryClient.getQueryData(['limits'])).toBeDefined());
    for (const typed of ['abc', '0', '-3', '1.5', '2147483648']) {
      await user.clear(within(loginForm()).getByLabelText('Your user id'));
      await user.type(within(loginForm()).getByLabelText('Your user id'), typed);
      await user.click(within(loginForm()).getByRole('button', { name: 'Log in' }));
      expect(within(loginForm()).getByRole('alert')).toHaveTextContent(
        'A user id is a whole number from 1 to 2,147,483,647.',
      );
    }
  });

  it('says when the user service is down', async () => {
    server.use(
      http.get(`${API}/me`, () =>
        HttpResponse.json(apiError(503, 'USER_API_UNAVAILABLE'), { status: 503 }),
      ),
    );
    const { user } = renderAccount();
    await user.type(within(loginForm()).getByLabelText('Your user id'), '7');
    await user.keyboard('{Enter}');
    expect(await within(loginForm()).findByRole('alert')).toHaveTextContent(
      'the user service is down',
    );
  });

  it('logs out, forgetting the kept id', async () => {
    localStorage.setItem(SESSION_STORAGE_KEY, '7');
    const { user } = renderAccount();
    await user.click(await screen.findByRole('button', { name: 'Log out' }));

    expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Not logged in');
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(screen.getByRole('form', { name: 'Log in' })).toBeInTheDocument();
  });
});

describe('a kept login', () => {
  it('is checked with GET /me on load before it counts', async () => {
    localStorage.setItem(SESSION_STORAGE_KEY, '7');
    renderAccount();
    expect(screen.getByRole('status', { name: '' })).toHaveTextContent(
      'Checking your login as user 7…',
    );
    await waitFor(() =>
      expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Logged in as user 7'),
    );
  });

  it('is dropped with a notice when the user no longer exists', async () => {
    localStorage.setItem(SESSION_STORAGE_KEY, '9');
    renderAccount();
    expect(await screen.findByText(/User 9 is not registered any more/)).toBeInTheDocument();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(screen.getByRole('form', { name: 'Log in' })).toBeInTheDocument();
  });

  it('is kept, unconfirmed, while the server cannot be reached, and checked again on request', async () => {
    localStorage.setItem(SESSION_STORAGE_KEY, '7');
    server.use(http.get(`${API}/me`, () => HttpResponse.error(), { once: true }));
    const { user } = renderAccount();

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not confirm your login as user 7. The Cloud Sound server cannot be reached.',
    );
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBe('7');

    await user.click(screen.getByRole('button', { name: 'Check my login again' }));
    await waitFor(() =>
      expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Logged in as user 7'),
    );
  });
});

describe('registering', () => {
  it('creates the user and logs in as it', async () => {
    const registered: unknown[] = [];
    server.use(
      http.post(`${API}/users`, async ({ request }) => {
        const body = (await request.json()) as { id: number };
        registered.push(body);
        server.use(meHandler([7, body.id]));
        return HttpResponse.json(body, { status: 201 });
      }),
    );
    const { user } = renderAccount();
    await user.type(within(registerForm()).getByLabelText('New user id'), '42');
    await user.click(within(registerForm()).getByRole('button', { name: 'Register' }));

    await waitFor(() =>
      expect(screen.getByRole('status', { name: '' })).toHaveTextContent('Logged in as user 42'),
    );
    expect(registered).toEqual([{ id: 42 }]);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBe('42');
  });

  it('says when the id is taken', async () => {
    server.use(
      http.post(`${API}/users`, () =>
        HttpResponse.json(apiError(409, 'USER_EXISTS'), { status: 409 }),
      ),
    );
    const { user } = renderAccount();
    await user.type(within(registerForm()).getByLabelText('New user id'), '7');
    await user.keyboard('{Enter}');
    expect(await within(registerForm()).findByRole('alert')).toHaveTextContent(
      'User id 7 is already taken. Choose another number, or log in if it is yours.',
    );
  });

  it('refuses an invalid id', async () => {
    const { user } = renderAccount();
    await user.type(within(registerForm()).getByLabelText('New user id'), 'seven');
    await user.keyboard('{Enter}');
    expect(within(registerForm()).getByRole('alert')).toHaveTextContent(
      'A user id is a whole number from 1 to 2,147,483,647.',
    );
  });

  it.each([
    [
      'the user service is down',
      () => HttpResponse.json(apiError(503, 'USER_API_UNAVAILABLE'), { status: 503 }),
      'Registering is not possible right now: the user service is down.',
    ],
    [
      'the API cannot be reached',
      () => HttpResponse.error(),
      'The Cloud Sound server cannot be reached.',
    ],
  ])('says when %s', async (_case, reply, message) => {
    server.use(http.post(`${API}/users`, reply));
    const { user } = renderAccount();
    await user.type(within(registerForm()).getByLabelText('New user id'), '5');
    await user.keyboard('{Enter}');
    expect(await within(registerForm()).findByRole('alert')).toHaveTextContent(message);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });
});

import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { AppProviders } from '../app/providers.tsx';
import { SESSION_STORAGE_KEY } from '../lib/session.tsx';

/** A fresh cache per test: no retries, so an error shows at once. */
export function createTestQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, networkMode: 'always', gcTime: Number.POSITIVE_INFINITY },
      mutations: { retry: false, networkMode: 'always' },
    },
  });
}

/**
 * Renders `ui` inside the app's providers with a fresh QueryClient. `userId` starts the test
 * logged in as that user (kept in storage, then confirmed by `GET /me` like on a real load).
 */
export function renderWithProviders(ui: ReactNode, { userId }: { userId?: number } = {}) {
  if (userId !== undefined) localStorage.setItem(SESSION_STORAGE_KEY, String(userId));
  const queryClient = createTestQueryClient();
  const user = userEvent.setup();
  const result = render(<AppProviders queryClient={queryClient}>{ui}</AppProviders>);
  return { ...result, user, queryClient };
}

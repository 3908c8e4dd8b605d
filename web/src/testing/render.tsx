import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { MemoryRouter, useLocation } from 'react-router';
import { vi } from 'vitest';
import { AppProviders } from '../app/providers.tsx';
import { PlayerStore } from '../lib/player/player-store.ts';
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

/** The address the app is at, for tests to read (`location.current`). */
export interface LocationProbe {
  current: string;
}

function ProbeLocation({ probe }: { probe: LocationProbe }) {
  const location = useLocation();
  probe.current = `${location.pathname}${location.search}`;
  return null;
}

/**
 * Renders `ui` inside the app's providers and a memory router at `route`, with a fresh
 * QueryClient and player. `userId` starts the test logged in as that user (kept in storage,
 * then confirmed by `GET /me` like on a real load). `fakeTimers`: user-event advances Vitest's
 * fake clock.
 */
export function renderWithProviders(
  ui: ReactNode,
  {
    userId,
    route = '/',
    fakeTimers = false,
  }: { userId?: number; route?: string; fakeTimers?: boolean } = {},
) {
  if (userId !== undefined) localStorage.setItem(SESSION_STORAGE_KEY, String(userId));
  const queryClient = createTestQueryClient();
  const player = new PlayerStore(document.createElement('audio'));
  const location: LocationProbe = { current: route };
  const user = userEvent.setup(fakeTimers ? { advanceTimers: vi.advanceTimersByTime } : {});
  const result = render(
    <AppProviders queryClient={queryClient} player={player}>
      <MemoryRouter initialEntries={[route]}>
        {ui}
        <ProbeLocation probe={location} />
      </MemoryRouter>
    </AppProviders>,
  );
  return { ...result, user, queryClient, player, location };
}

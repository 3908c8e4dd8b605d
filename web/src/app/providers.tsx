import { type QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { ToastsProvider } from '../components/ui/toasts.tsx';
import { createSoundEventsCache } from '../features/sounds/api/sound-events.ts';
import { getMe } from '../lib/api/get-me.ts';
import { LiveEventsProvider } from '../lib/live-events-provider.tsx';
import { PlayerProvider } from '../lib/player/player-provider.tsx';
import type { PlayerStore } from '../lib/player/player-store.ts';
import { createQueryClient } from '../lib/query-client.ts';
import { SessionProvider, type VerifyUser } from '../lib/session.tsx';

const verifyUser: VerifyUser = (userId, signal) => getMe(userId, signal);

/**
 * Everything the features share: the query cache kept fresh by the live events, the session, the
 * player and the toasts.
 */
export function AppProviders({
  children,
  queryClient,
  player,
}: {
  children: ReactNode;
  /** Tests pass a fresh client; the app makes one for its lifetime. */
  queryClient?: QueryClient;
  /** Tests pass a player they can watch; the app makes the one player. */
  player?: PlayerStore;
}) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  const [soundEvents] = useState(() => createSoundEventsCache(client));
  return (
    <QueryClientProvider client={client}>
      <LiveEventsProvider onStart={soundEvents.reload} onEvent={soundEvents.apply}>
        <SessionProvider verifyUser={verifyUser}>
          <PlayerProvider store={player}>
            <ToastsProvider>{children}</ToastsProvider>
          </PlayerProvider>
        </SessionProvider>
      </LiveEventsProvider>
    </QueryClientProvider>
  );
}

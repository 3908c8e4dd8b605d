import { type QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { getMe } from '../features/auth/api/get-me.ts';
import { createQueryClient } from '../lib/query-client.ts';
import { SessionProvider, type VerifyUser } from '../lib/session.tsx';

const verifyUser: VerifyUser = (userId, signal) => getMe(userId, signal);

/** Everything the features share: the query cache and the session. */
export function AppProviders({
  children,
  queryClient,
}: {
  children: ReactNode;
  /** Tests pass a fresh client; the app makes one for its lifetime. */
  queryClient?: QueryClient;
}) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  return (
    <QueryClientProvider client={client}>
      <SessionProvider verifyUser={verifyUser}>{children}</SessionProvider>
    </QueryClientProvider>
  );
}

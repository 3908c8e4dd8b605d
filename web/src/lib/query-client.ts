import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api/errors.ts';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Retry what may pass on a second try (no reply, 5xx), never a 4xx answer.
        retry: (failureCount, error) =>
          failureCount < 2 &&
          (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
        staleTime: 15_000,
        // Ask the server even when the browser believes it is offline, so a person sees an error
        // instead of a spinner that never ends.
        networkMode: 'always',
      },
      mutations: { networkMode: 'always' },
    },
  });
}

import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client.ts';
import type { components } from './schema.gen.ts';

export type Limits = components['schemas']['Limits'];

/** `GET /limits`: the numbers a client must respect (ids, titles, pages, uploads). */
export function getLimits(signal?: AbortSignal) {
  return unwrap(api.GET('/limits', { signal }));
}

export function limitsQueryOptions() {
  return queryOptions({
    queryKey: ['limits'] as const,
    queryFn: ({ signal }) => getLimits(signal),
    // They change only with a new server release: once per visit is enough.
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** The API's limits; `undefined` until they have arrived. */
export function useLimits(): Limits | undefined {
  return useQuery(limitsQueryOptions()).data;
}

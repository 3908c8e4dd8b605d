import { queryOptions, useQuery } from '@tanstack/react-query';
import { meKeys } from '../query-keys.ts';
import { api, unwrap, userHeaders } from './client.ts';
import type { components } from './schema.gen.ts';

export type Me = components['schemas']['Me'];

/**
 * `GET /me`: succeeds only when `userId` is a registered user (the way to "log in"), and says
 * how much of their quota they use.
 */
export function getMe(userId: number, signal?: AbortSignal) {
  return unwrap(api.GET('/me', { headers: userHeaders(userId), signal }));
}

export function meQueryOptions(userId: number) {
  return queryOptions({
    queryKey: meKeys.user(userId),
    queryFn: ({ signal }) => getMe(userId, signal),
  });
}

/** `userId`'s storage use and waiting sounds; `undefined` until they have arrived. */
export function useMe(userId: number): Me | undefined {
  return useQuery(meQueryOptions(userId)).data;
}

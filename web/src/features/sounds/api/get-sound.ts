import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, type Sound, unwrap } from '../../../lib/api/client.ts';
import { soundsKeys } from '../../../lib/query-keys.ts';
import { updateCachedSound } from '../../../lib/sound-cache.ts';

/** How often a sound still being processed is asked about. */
export const PROCESSING_POLL_MS = 1500;

/** `GET /sounds/:id`. */
export function getSound(soundId: string, signal?: AbortSignal) {
  return unwrap(api.GET('/sounds/{id}', { params: { path: { id: soundId } }, signal }));
}

export function soundQueryOptions(soundId: string) {
  return queryOptions({
    queryKey: soundsKeys.detail(soundId),
    queryFn: ({ signal }) => getSound(soundId, signal),
    // Asked again until processing has ended.
    refetchInterval: (query) =>
      query.state.data?.processing === 'pending' ? PROCESSING_POLL_MS : false,
  });
}

/** One sound, kept fresh while it is processed. */
export function useSound(soundId: string) {
  return useQuery(soundQueryOptions(soundId));
}

/**
 * A listed sound, kept fresh while it is processed: its own `GET /sounds/:id` is polled until
 * it is `ready` or `failed`, and the news is written into every listing that holds it.
 */
export function useLiveSound(sound: Sound): Sound {
  const queryClient = useQueryClient();
  const pending = sound.processing === 'pending';
  const live = useQuery({
    ...soundQueryOptions(sound.id),
    enabled: pending,
    initialData: sound,
    // The listing's copy is fresh enough to start with; the first poll comes after the interval.
    initialDataUpdatedAt: Date.now(),
  });
  const fresh = live.data;
  useEffect(() => {
    if (pending && fresh.processing !== 'pending') updateCachedSound(queryClient, fresh);
  }, [pending, fresh, queryClient]);
  return pending ? fresh : sound;
}

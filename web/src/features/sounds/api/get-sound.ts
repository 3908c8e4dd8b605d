import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, type Sound, unwrap, userHeaders } from '../../../lib/api/client.ts';
import { useLiveEventsState } from '../../../lib/live-events-provider.tsx';
import { meKeys, soundsKeys } from '../../../lib/query-keys.ts';
import { updateCachedSound } from '../../../lib/sound-cache.ts';

/** How often a sound still being processed is asked about while the live events are down. */
export const PROCESSING_POLL_MS = 1500;

/**
 * `GET /sounds/:id`, as `viewerId` (sent as `X-User-Id`; null: nobody): its uploader also
 * learns why its processing failed.
 */
export function getSound(soundId: string, viewerId: number | null, signal?: AbortSignal) {
  return unwrap(
    api.GET('/sounds/{id}', {
      params: { path: { id: soundId } },
      headers: viewerId === null ? undefined : userHeaders(viewerId),
      signal,
    }),
  );
}

export function soundQueryOptions(soundId: string, viewerId: number | null) {
  return queryOptions({
    queryKey: soundsKeys.detail(soundId, viewerId),
    queryFn: ({ signal }) => getSound(soundId, viewerId, signal),
  });
}

/**
 * Whether a sound still being processed must be polled: only while the live events are not
 * open. When they are, the sound's `processing` event says when it ends.
 */
function usePollWhileProcessing(): boolean {
  return useLiveEventsState() !== 'open';
}

/** Asked again until processing has ended. */
function untilProcessed(query: { state: { data: Sound | undefined } }) {
  return query.state.data?.processing === 'pending' ? PROCESSING_POLL_MS : false;
}

/** One sound, as everyone sees it, kept fresh while it is processed. */
export function useSound(soundId: string) {
  const poll = usePollWhileProcessing();
  return useQuery({
    ...soundQueryOptions(soundId, null),
    refetchInterval: poll ? untilProcessed : false,
  });
}

/**
 * A listed sound, kept fresh while it is processed. While the live events are down its own
 * `GET /sounds/:id` is polled until it is `ready` or `failed`, and the news is written into every
 * listing that holds it; while they are open, they bring the news into the listings.
 */
export function useLiveSound(sound: Sound): Sound {
  const queryClient = useQueryClient();
  const pending = sound.processing === 'pending';
  const poll = usePollWhileProcessing();
  const live = useQuery({
    ...soundQueryOptions(sound.id, null),
    enabled: pending && poll,
    refetchInterval: untilProcessed,
    initialData: sound,
    // The listing's copy is fresh enough to start with; the first poll comes after the interval.
    initialDataUpdatedAt: Date.now(),
  });
  const fresh = live.data;
  useEffect(() => {
    if (pending && fresh.processing !== 'pending') {
      updateCachedSound(queryClient, fresh);
      // Its uploader has one sound fewer waiting, and its renditions take storage.
      void queryClient.invalidateQueries({ queryKey: meKeys.user(fresh.userId) });
    }
  }, [pending, fresh, queryClient]);
  return pending ? fresh : sound;
}

/**
 * Why processing of `sound` failed, when `viewerId` uploaded it: only the uploader's own
 * `GET /sounds/:id` (with their `X-User-Id`) says, so that is asked, once; null for everyone
 * else (listings and others' copies never say), and meanwhile. Nobody else's request carries
 * the header, so no other view waits on the user service.
 */
export function useFailureReason(sound: Sound, viewerId: number | null): Sound['processingError'] {
  const ownFailure =
    viewerId !== null && viewerId === sound.userId && sound.processing === 'failed';
  const own = useQuery({ ...soundQueryOptions(sound.id, viewerId), enabled: ownFailure });
  return ownFailure && own.data?.processing === 'failed' ? own.data.processingError : null;
}

import type { Query, QueryClient } from '@tanstack/react-query';
import type { SoundEvent } from '../../../lib/api/client.ts';
import { meKeys, type SoundListFilter, soundsKeys } from '../../../lib/query-keys.ts';
import {
  isSoundCached,
  type SoundPages,
  updateCachedSound,
  withoutSound,
} from '../../../lib/sound-cache.ts';
import { getSound } from './get-sound.ts';

type SoundChanged = Exclude<SoundEvent, { kind: 'reset' }>;

/** The listings the sounds of `uploaders` belong in: everyone's and each uploader's. */
function listingsOf(uploaders: ReadonlySet<number>) {
  return {
    queryKey: soundsKeys.lists(),
    predicate: (query: Query) => {
      const filter = query.queryKey[2] as SoundListFilter;
      return filter.userId === null || uploaders.has(filter.userId);
    },
  };
}

/** Those of them that are searched: a new title can bring a sound in or take it out. */
function searchesOf(userId: number) {
  const { queryKey, predicate } = listingsOf(new Set([userId]));
  return {
    queryKey,
    predicate: (query: Query) =>
      predicate(query) && (query.queryKey[2] as SoundListFilter).q !== '',
  };
}

/**
 * What the events of `GET /events` change in the cache. A new sound refetches the listings it
 * belongs in (a restored one need not go first); a changed one that is shown is fetched once and
 * written everywhere it is; a deleted one leaves every listing without a request.
 */
export function createSoundEventsCache(queryClient: QueryClient) {
  // Per sound, the event whose fetch started last: an older answer that lands later is dropped.
  const newestFetch = new Map<string, number>();
  // One refetch of the listings at a time: the uploaders whose sounds changed meanwhile wait for
  // the next. A burst of events (a reconnect's replay) then costs two refetches, not one
  // each, and events faster than a refetch cannot cancel each one before it lands.
  const waitingUploaders = new Set<number>();
  let refetching = false;

  function refetchListingsOf(userId: number) {
    waitingUploaders.add(userId);
    if (refetching) return;
    refetching = true;
    void refetchWaitingListings().finally(() => {
      refetching = false;
    });
  }

  async function refetchWaitingListings() {
    while (waitingUploaders.size > 0) {
      const listings = listingsOf(new Set(waitingUploaders));
      // One on screen being fetched began before the change (or is a "Load more"): it lands,
      // uncancelled, and is asked again. (Only those on screen are waited for: only they count.)
      if (queryClient.isFetching({ ...listings, type: 'active' }) === 0) waitingUploaders.clear();
      await queryClient.invalidateQueries(listings, { cancelRefetch: false });
    }
  }

  /** A listing asked for before a change written into the cache may land after it, and undo it. */
  function refetchListingsInFlight(userId: number) {
    const listings = { ...listingsOf(new Set([userId])), type: 'active' as const };
    if (queryClient.isFetching(listings) > 0) refetchListingsOf(userId);
  }

  async function refresh(event: SoundChanged) {
    if (!isSoundCached(queryClient, event.soundId)) return;
    newestFetch.set(event.soundId, event.id);
    const newest = () => newestFetch.get(event.soundId) === event.id;
    try {
      const fresh = await getSound(event.soundId, null);
      if (!newest()) return;
      updateCachedSound(queryClient, fresh);
      refetchListingsInFlight(event.userId);
    } catch {
      // Deleted meanwhile (its event follows) or unreachable: what shows it asks again.
      if (newest()) {
        refetchListingsOf(event.userId);
        void queryClient.invalidateQueries({ queryKey: soundsKeys.sound(event.soundId) });
      }
    } finally {
      if (newest()) newestFetch.delete(event.soundId);
    }
  }

  /** Everything shown may be out of date: a new stream, or one told it missed too much. */
  function reload() {
    void queryClient.invalidateQueries({ queryKey: soundsKeys.lists() });
    void queryClient.invalidateQueries({ queryKey: soundsKeys.details() });
    void queryClient.invalidateQueries({ queryKey: meKeys.all });
  }

  /** Its uploader's storage use and count of sounds waiting changed. */
  function refreshUploader(userId: number) {
    void queryClient.invalidateQueries({ queryKey: meKeys.user(userId) });
  }

  function apply(event: SoundEvent) {
    switch (event.kind) {
      case 'reset':
        reload();
        break;
      case 'created':
        refetchListingsOf(event.userId);
        refreshUploader(event.userId);
        break;
      case 'deleted':
        queryClient.setQueriesData<SoundPages>({ queryKey: soundsKeys.lists() }, (data) =>
          withoutSound(data, event.soundId),
        );
        refetchListingsInFlight(event.userId);
        // Its page, if open, asks and learns it is gone.
        void queryClient.invalidateQueries({ queryKey: soundsKeys.sound(event.soundId) });
        refreshUploader(event.userId);
        break;
      case 'renamed':
        void queryClient.invalidateQueries(searchesOf(event.userId));
        void refresh(event);
        break;
      case 'processing':
        void refresh(event);
        refreshUploader(event.userId);
        break;
      case 'updated':
        void refresh(event);
        break;
    }
  }

  return { reload, apply };
}

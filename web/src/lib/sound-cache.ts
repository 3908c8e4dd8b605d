import type { InfiniteData, QueryClient, QueryKey } from '@tanstack/react-query';
import type { Sound, SoundList } from './api/client.ts';
import { type SoundListFilter, soundsKeys } from './query-keys.ts';

/** A cached listing: the pages fetched so far over the cursor. */
export type SoundPages = InfiniteData<SoundList, string | null>;

/** What every cached listing and sound page held before an optimistic change. */
export interface SoundCacheSnapshot {
  lists: Array<[QueryKey, SoundPages | undefined]>;
  details: Array<[QueryKey, Sound | undefined]>;
}

/** The cached pages without the sound `soundId` (the same object when it was not there). */
export function withoutSound(
  data: SoundPages | undefined,
  soundId: string,
): SoundPages | undefined {
  return editPagesListing(data, soundId, (items) => items.filter((sound) => sound.id !== soundId));
}

/** The cached pages with `change` applied to the sound `soundId` wherever it is listed. */
export function withSoundChanged(
  data: SoundPages | undefined,
  soundId: string,
  change: (sound: Sound) => Sound,
): SoundPages | undefined {
  return editPagesListing(data, soundId, (items) =>
    items.map((sound) => (sound.id === soundId ? change(sound) : sound)),
  );
}

/** Each page's items through `edit`; the same object when no page lists `soundId`. */
function editPagesListing(
  data: SoundPages | undefined,
  soundId: string,
  edit: (items: Sound[]) => Sound[],
): SoundPages | undefined {
  if (!data?.pages.some((page) => page.items.some((sound) => sound.id === soundId))) return data;
  return { ...data, pages: data.pages.map((page) => ({ ...page, items: edit(page.items) })) };
}

/** Whether any cached listing or sound page holds the sound `soundId`. */
export function isSoundCached(queryClient: QueryClient, soundId: string): boolean {
  if (queryClient.getQueriesData({ queryKey: soundsKeys.sound(soundId) }).length > 0) return true;
  return queryClient
    .getQueriesData<SoundPages>({ queryKey: soundsKeys.lists() })
    .some(([, data]) =>
      data?.pages.some((page) => page.items.some((sound) => sound.id === soundId)),
    );
}

/** Cancels the fetches of every listing and sound page, then snapshots them. */
export async function snapshotSounds(queryClient: QueryClient): Promise<SoundCacheSnapshot> {
  await queryClient.cancelQueries({ queryKey: soundsKeys.lists() });
  await queryClient.cancelQueries({ queryKey: soundsKeys.details() });
  return {
    lists: queryClient.getQueriesData<SoundPages>({ queryKey: soundsKeys.lists() }),
    details: queryClient.getQueriesData<Sound>({ queryKey: soundsKeys.details() }),
  };
}

/** Puts a snapshot back, passing each listing through `adjust` first. */
export function restoreSounds(
  queryClient: QueryClient,
  snapshot: SoundCacheSnapshot,
  adjust: (data: SoundPages | undefined) => SoundPages | undefined = (data) => data,
): void {
  for (const [queryKey, data] of snapshot.lists) queryClient.setQueryData(queryKey, adjust(data));
  for (const [queryKey, data] of snapshot.details) queryClient.setQueryData(queryKey, data);
}

/** Who a cached sound page was asked as: the last part of its key (null: nobody). */
function viewerOf(queryKey: QueryKey): number | null {
  const viewer = queryKey[3];
  return typeof viewer === 'number' ? viewer : null;
}

/**
 * `fresh` as the cache of what `viewerId` sees should hold it: why processing failed is for its
 * uploader alone (listings never say), and a copy that cannot say keeps the reason `known`.
 */
export function asSeenBy(fresh: Sound, viewerId: number | null, known?: Sound): Sound {
  if (viewerId !== fresh.userId) {
    return fresh.processingError === null ? fresh : { ...fresh, processingError: null };
  }
  if (
    fresh.processing === 'failed' &&
    fresh.processingError === null &&
    known?.processing === 'failed' &&
    known.processingError !== null
  ) {
    return { ...fresh, processingError: known.processingError };
  }
  return fresh;
}

/**
 * Writes a newer copy of `sound` into every listing and its page: the copy everyone sees, and
 * any cached copy its uploader asked for.
 */
export function updateCachedSound(queryClient: QueryClient, sound: Sound): void {
  const everyone = asSeenBy(sound, null);
  queryClient.setQueriesData<SoundPages>({ queryKey: soundsKeys.lists() }, (data) =>
    withSoundChanged(data, sound.id, () => everyone),
  );
  queryClient.setQueryData(soundsKeys.detail(sound.id, null), everyone);
  for (const [queryKey, known] of queryClient.getQueriesData<Sound>({
    queryKey: soundsKeys.sound(sound.id),
  })) {
    const viewer = viewerOf(queryKey);
    if (viewer === null) continue;
    const seen = asSeenBy(sound, viewer, known);
    if (viewer === seen.userId && seen.processing === 'failed' && seen.processingError === null) {
      // Failed (again) in a copy that cannot say why: the uploader's own is asked for anew.
      void queryClient.invalidateQueries({ queryKey, exact: true });
    } else {
      queryClient.setQueryData(queryKey, seen);
    }
  }
}

/**
 * Puts a just-uploaded sound at the top of every cached listing it belongs in (newest first):
 * everyone's and its uploader's, when they are not searched.
 */
export function addCachedSound(queryClient: QueryClient, sound: Sound): void {
  const everyone = asSeenBy(sound, null);
  for (const [queryKey, data] of queryClient.getQueriesData<SoundPages>({
    queryKey: soundsKeys.lists(),
  })) {
    const filter = queryKey[2] as SoundListFilter | undefined;
    if (!data || !filter || filter.q !== '') continue;
    if (filter.userId !== null && filter.userId !== sound.userId) continue;
    if (data.pages.some((page) => page.items.some((item) => item.id === sound.id))) continue;
    const [first, ...rest] = data.pages;
    if (!first) continue;
    queryClient.setQueryData<SoundPages>(queryKey, {
      ...data,
      pages: [{ ...first, items: [everyone, ...first.items] }, ...rest],
    });
  }
  queryClient.setQueryData(soundsKeys.detail(sound.id, null), everyone);
}

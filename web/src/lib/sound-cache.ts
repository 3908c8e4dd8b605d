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

/** Writes a newer copy of `sound` into every listing and its own page. */
export function updateCachedSound(queryClient: QueryClient, sound: Sound): void {
  queryClient.setQueriesData<SoundPages>({ queryKey: soundsKeys.lists() }, (data) =>
    withSoundChanged(data, sound.id, () => sound),
  );
  queryClient.setQueryData(soundsKeys.detail(sound.id), sound);
}

/**
 * Puts a just-uploaded sound at the top of every cached listing it belongs in (newest first):
 * everyone's and its uploader's, when they are not searched.
 */
export function addCachedSound(queryClient: QueryClient, sound: Sound): void {
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
      pages: [{ ...first, items: [sound, ...first.items] }, ...rest],
    });
  }
  queryClient.setQueryData(soundsKeys.detail(sound.id), sound);
}

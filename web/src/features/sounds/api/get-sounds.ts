import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api/client.ts';
import { type SoundListFilter, soundsKeys } from '../../../lib/query-keys.ts';

/**
 * `GET /sounds`: one page, newest first (the API's default page size); `userId` keeps only
 * that uploader's sounds, `q` searches titles and filenames.
 */
export function getSounds({
  userId,
  q,
  cursor,
  signal,
}: SoundListFilter & { cursor: string | null; signal?: AbortSignal }) {
  return unwrap(
    api.GET('/sounds', {
      params: {
        query: {
          cursor: cursor ?? undefined,
          userId: userId ?? undefined,
          q: q || undefined,
        },
      },
      signal,
    }),
  );
}

/** A listing, page after page over the cursor. */
export function soundsQueryOptions(filter: SoundListFilter) {
  return infiniteQueryOptions({
    queryKey: soundsKeys.list(filter),
    queryFn: ({ pageParam, signal }) => getSounds({ ...filter, cursor: pageParam, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.nextCursor,
  });
}

export function useSounds(filter: SoundListFilter) {
  return useInfiniteQuery({
    ...soundsQueryOptions(filter),
    // While a new search loads, the previous results stay on screen.
    placeholderData: (previous) => previous,
  });
}

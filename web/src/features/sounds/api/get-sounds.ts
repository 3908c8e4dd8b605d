import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api/client.ts';
import { soundsKeys } from '../../../lib/query-keys.ts';

export const SOUNDS_PAGE_SIZE = 20;

/** `GET /sounds`: one page, newest first; `userId` keeps only that uploader's sounds. */
export function getSounds({
  userId,
  cursor,
  signal,
}: {
  userId: number | null;
  cursor: string | null;
  signal?: AbortSignal;
}) {
  return unwrap(
    api.GET('/sounds', {
      params: {
        query: {
          limit: SOUNDS_PAGE_SIZE,
          cursor: cursor ?? undefined,
          userId: userId ?? undefined,
        },
      },
      signal,
    }),
  );
}

/** Every sound (`userId` null) or one uploader's, page after page over the cursor. */
export function soundsQueryOptions(userId: number | null) {
  return infiniteQueryOptions({
    queryKey: soundsKeys.list(userId),
    queryFn: ({ pageParam, signal }) => getSounds({ userId, cursor: pageParam, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.nextCursor,
  });
}

export function useSounds(userId: number | null) {
  return useInfiniteQuery(soundsQueryOptions(userId));
}

import {
  type InfiniteData,
  type QueryKey,
  useMutation,
  useQueryClient,
} from '@tanstack/react-query';
import { api, type Sound, type SoundList, unwrap, userHeaders } from '../../../lib/api/client.ts';
import { ApiError } from '../../../lib/api/errors.ts';
import { soundsKeys } from '../../../lib/query-keys.ts';

/** Every delete carries this key, so the last one to settle can be told apart. */
export const deleteSoundMutationKey = [...soundsKeys.all, 'delete'] as const;

type SoundPages = InfiniteData<SoundList, string | null>;
type Snapshot = Array<[QueryKey, SoundPages | undefined]>;

/**
 * `DELETE /sounds/:id`: only the uploader may. `keepalive` lets the request finish even when
 * the page is reloaded or closed right after the (optimistic) click.
 */
export function deleteSound({ soundId, userId }: { soundId: string; userId: number }) {
  return unwrap(
    api.DELETE('/sounds/{id}', {
      params: { path: { id: soundId } },
      headers: userHeaders(userId),
      keepalive: true,
    }),
  );
}

/** The cached pages without the sound `soundId` (the same object when it was not there). */
export function withoutSound(
  data: SoundPages | undefined,
  soundId: string,
): SoundPages | undefined {
  if (!data?.pages.some((page) => page.items.some((sound) => sound.id === soundId))) return data;
  return {
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.filter((sound) => sound.id !== soundId),
    })),
  };
}

export interface UseDeleteSoundOptions {
  /** Called once the server has deleted the sound. */
  onSuccess?: (sound: Sound) => void;
  /** Called after the sound has been put back because the server refused to delete it. */
  onError?: (error: Error, sound: Sound) => void;
}

/**
 * Deletes a sound optimistically: it leaves every cached listing at once and comes back if the
 * server refuses. The options add to these callbacks and never replace them.
 */
export function useDeleteSound(userId: number | null, options: UseDeleteSoundOptions = {}) {
  const { onSuccess: notifySuccess, onError: notifyError } = options;
  const queryClient = useQueryClient();
  const lists = { queryKey: soundsKeys.lists() };

  return useMutation({
    mutationKey: deleteSoundMutationKey,
    mutationFn: async (sound: Sound) => {
      if (userId === null) throw new ApiError(401, 'AUTH_REQUIRED', 'Log in to delete sounds');
      await deleteSound({ soundId: sound.id, userId });
    },
    onMutate: async (sound) => {
      // A fetch that lands after this point would bring the sound back.
      await queryClient.cancelQueries(lists);
      const snapshot: Snapshot = queryClient.getQueriesData<SoundPages>(lists);
      queryClient.setQueriesData<SoundPages>(lists, (data) => withoutSound(data, sound.id));
      return { snapshot };
    },
    onSuccess: (_data, sound) => notifySuccess?.(sound),
    onError: (error, sound, result) => {
      // Other deletes still in flight must stay hidden although the snapshot still holds them.
      const stillDeleting = queryClient
        .getMutationCache()
        .findAll({ mutationKey: deleteSoundMutationKey, status: 'pending' })
        .map((mutation) => (mutation.state.variables as Sound | undefined)?.id)
        .filter((id): id is string => id !== undefined && id !== sound.id);
      for (const [queryKey, data] of result?.snapshot ?? []) {
        queryClient.setQueryData<SoundPages>(queryKey, () =>
          stillDeleting.reduce<SoundPages | undefined>(withoutSound, data),
        );
      }
      notifyError?.(error, sound);
    },
    onSettled: () => {
      // Refetch once, when the last of several concurrent deletes settles: an earlier refetch
      // could still list a sound whose delete is in flight.
      if (queryClient.isMutating({ mutationKey: deleteSoundMutationKey }) === 1) {
        return queryClient.invalidateQueries(lists);
      }
    },
  });
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Sound, unwrap, userHeaders } from '../../../lib/api/client.ts';
import { ApiError } from '../../../lib/api/errors.ts';
import { soundsKeys } from '../../../lib/query-keys.ts';
import {
  restoreSounds,
  snapshotSounds,
  updateCachedSound,
  withSoundChanged,
} from '../../../lib/sound-cache.ts';

/** `PATCH /sounds/:id {title}`: only the uploader may rename a sound. */
export function updateSoundTitle({
  soundId,
  title,
  userId,
}: {
  soundId: string;
  title: string;
  userId: number;
}) {
  return unwrap(
    api.PATCH('/sounds/{id}', {
      params: { path: { id: soundId } },
      headers: userHeaders(userId),
      body: { title },
    }),
  );
}

export interface UseUpdateSoundTitleOptions {
  onError?: (error: Error, sound: Sound) => void;
  onSuccess?: (sound: Sound) => void;
}

/**
 * Renames a sound optimistically: every cached listing and its page show the new title at
 * once, and the old one comes back if the server refuses.
 */
export function useUpdateSoundTitle(
  userId: number | null,
  options: UseUpdateSoundTitleOptions = {},
) {
  const { onError: notifyError, onSuccess: notifySuccess } = options;
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ sound, title }: { sound: Sound; title: string }) => {
      if (userId === null) throw new ApiError(401, 'AUTH_REQUIRED', 'Log in to rename sounds');
      return updateSoundTitle({ soundId: sound.id, title, userId });
    },
    onMutate: async ({ sound, title }) => {
      const snapshot = await snapshotSounds(queryClient);
      queryClient.setQueriesData<Parameters<typeof withSoundChanged>[0]>(
        { queryKey: soundsKeys.lists() },
        (data) => withSoundChanged(data, sound.id, (each) => ({ ...each, title })),
      );
      queryClient.setQueriesData<Sound>({ queryKey: soundsKeys.sound(sound.id) }, (data) =>
        data ? { ...data, title } : data,
      );
      return { snapshot };
    },
    onSuccess: (saved) => {
      updateCachedSound(queryClient, saved);
      notifySuccess?.(saved);
    },
    onError: (error, { sound }, context) => {
      if (context) restoreSounds(queryClient, context.snapshot);
      notifyError?.(error, sound);
    },
    onSettled: (_saved, _error, { sound }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: soundsKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: soundsKeys.sound(sound.id) }),
      ]),
  });
}

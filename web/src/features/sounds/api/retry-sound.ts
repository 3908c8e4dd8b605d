import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToasts } from '../../../components/ui/toasts.tsx';
import { api, type Sound, unwrap, userHeaders } from '../../../lib/api/client.ts';
import { ApiError, describeApiError } from '../../../lib/api/errors.ts';
import { soundsKeys } from '../../../lib/query-keys.ts';
import { updateCachedSound } from '../../../lib/sound-cache.ts';

/** `POST /sounds/:id/retry`: its uploader has a failed sound processed again (202, `pending`). */
export function retrySound({ soundId, userId }: { soundId: string; userId: number }) {
  return unwrap(
    api.POST('/sounds/{id}/retry', {
      params: { path: { id: soundId } },
      headers: userHeaders(userId),
    }),
  );
}

/**
 * "Try again" on a sound whose processing failed. The sound shows as processing at once (and is
 * then polled like any new upload); the outcome is said in the notifications, politely when it
 * went, as an alert when it did not. Settles once the listings and the sound's page are fresh.
 */
export function useRetrySound(userId: number | null) {
  const queryClient = useQueryClient();
  const toasts = useToasts();
  return useMutation({
    mutationFn: async (sound: Sound) => {
      if (userId === null) throw new ApiError(401, 'AUTH_REQUIRED', 'Log in to process sounds');
      return retrySound({ soundId: sound.id, userId });
    },
    onSuccess: (pending, sound) => {
      updateCachedSound(queryClient, pending);
      toasts.show({
        id: `retry-${sound.id}`,
        message: `Processing “${sound.title}” again. This page shows when it is done.`,
      });
    },
    onError: (error, sound) => {
      toasts.show({
        id: `retry-${sound.id}`,
        tone: 'alert',
        message: describeRetryError(error, sound),
      });
    },
    // Also after a refusal: a 409 or 404 means the sound is not what this page believes.
    onSettled: (_pending, _error, sound) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: soundsKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: soundsKeys.sound(sound.id) }),
      ]),
  });
}

function describeRetryError(error: Error, sound: Sound): string {
  const what = `Could not process “${sound.title}” again.`;
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'NOT_FAILED':
        return `“${sound.title}” is already being processed, or is done.`;
      case 'NOT_OWNER':
        return `${what} Only its uploader may.`;
      case 'SOUND_NOT_FOUND':
        return `“${sound.title}” was deleted.`;
    }
  }
  return `${what} ${describeApiError(error)}`;
}

import { useMutation, useMutationState, useQueryClient } from '@tanstack/react-query';
import { useToasts } from '../../../components/ui/toasts.tsx';
import { api, type Sound, unwrap, userHeaders } from '../../../lib/api/client.ts';
import { ApiError, describeApiError } from '../../../lib/api/errors.ts';
import { usePlayer } from '../../../lib/player/player-provider.tsx';
import { meKeys, soundsKeys } from '../../../lib/query-keys.ts';
import {
  restoreSounds,
  type SoundPages,
  snapshotSounds,
  withoutSound,
} from '../../../lib/sound-cache.ts';

/** Every delete carries this key, so the last one to settle can be told apart. */
export const deleteSoundMutationKey = [...soundsKeys.all, 'delete'] as const;

/** How long a delete can be undone before its request is sent. */
export const UNDO_WINDOW_MS = 5000;

/** The rejection of a delete that was undone in time: nothing was sent. */
export class DeleteUndoneError extends Error {
  override readonly name = 'DeleteUndoneError';
}

/**
 * `DELETE /sounds/:id`: only the uploader may. `keepalive` lets the request finish even when
 * the page is closed right after it was sent.
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

interface WaitingDelete {
  /** Sends the request now (the window ended, or the page is going away). */
  send: () => void;
  undo: () => void;
}

/** Deletes inside their undo window, by sound id. */
const waiting = new Map<string, WaitingDelete>();

/** Takes back a delete still inside its undo window; false when it was already sent. */
export function undoDelete(soundId: string): boolean {
  const entry = waiting.get(soundId);
  entry?.undo();
  return entry !== undefined;
}

/** Sends every waiting delete at once. */
export function sendWaitingDeletes(): void {
  for (const entry of [...waiting.values()]) entry.send();
}

let pageListenersAdded = false;

/** A hidden or closing page may never run its timers again: the waiting deletes go now. */
function sendWaitingDeletesWhenThePageGoes(): void {
  if (pageListenersAdded || typeof window === 'undefined') return;
  pageListenersAdded = true;
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') sendWaitingDeletes();
  });
  window.addEventListener('pagehide', sendWaitingDeletes);
}

/**
 * Waits out the undo window, then deletes. The request starts synchronously inside `send`, so
 * a `pagehide` handler gets it out before the page is gone.
 */
function deleteAfterUndoWindow(sound: Sound, userId: number): Promise<void> {
  sendWaitingDeletesWhenThePageGoes();
  return new Promise<void>((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      waiting.delete(sound.id);
    };
    const send = () => {
      settle();
      deleteSound({ soundId: sound.id, userId }).then(resolve, reject);
    };
    const timer = setTimeout(send, UNDO_WINDOW_MS);
    waiting.set(sound.id, {
      send,
      undo: () => {
        settle();
        reject(new DeleteUndoneError(`The delete of ${sound.id} was undone`));
      },
    });
  });
}

/**
 * Deletes a sound with five seconds to change one's mind: it leaves every cached listing at
 * once, a toast offers "Undo", and the request goes out when the window ends (or at once when
 * the page is hidden or closed). An undo or a refusal by the server puts it back.
 */
export function useDeleteSound(userId: number | null) {
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const player = usePlayer();
  const lists = { queryKey: soundsKeys.lists() };

  return useMutation({
    mutationKey: deleteSoundMutationKey,
    mutationFn: async (sound: Sound) => {
      if (userId === null) throw new ApiError(401, 'AUTH_REQUIRED', 'Log in to delete sounds');
      await deleteAfterUndoWindow(sound, userId);
    },
    onMutate: async (sound) => {
      // A fetch that lands after this point would bring the sound back.
      const snapshot = await snapshotSounds(queryClient);
      queryClient.setQueriesData<SoundPages>(lists, (data) => withoutSound(data, sound.id));
      player.remove(sound.id);
      toasts.show({
        id: `delete-${sound.id}`,
        message: `Deleted “${sound.title}”.`,
        action: {
          label: 'Undo',
          accessibleLabel: `Undo deleting “${sound.title}”`,
          onClick: () => undoDelete(sound.id),
        },
        duration: UNDO_WINDOW_MS,
      });
      return { snapshot };
    },
    onError: (error, sound, context) => {
      // Other deletes still waiting or in flight stay hidden although the snapshot holds them.
      const stillDeleting = queryClient
        .getMutationCache()
        .findAll({ mutationKey: deleteSoundMutationKey, status: 'pending' })
        .map((mutation) => (mutation.state.variables as Sound | undefined)?.id)
        .filter((id): id is string => id !== undefined && id !== sound.id);
      if (context) {
        restoreSounds(queryClient, context.snapshot, (data) =>
          stillDeleting.reduce<SoundPages | undefined>(withoutSound, data),
        );
      }
      if (error instanceof DeleteUndoneError) {
        toasts.show({ id: `delete-${sound.id}`, message: `“${sound.title}” is back.` });
      } else {
        toasts.dismiss(`delete-${sound.id}`);
        toasts.show({
          id: `delete-failed-${sound.id}`,
          tone: 'alert',
          message: describeDeleteError(error, sound),
        });
      }
    },
    onSettled: () => {
      // Refetch once, when the last of several concurrent deletes settles: an earlier refetch
      // could still list a sound whose delete is waiting or in flight. The uploader's storage
      // use shrinks with each delete.
      if (queryClient.isMutating({ mutationKey: deleteSoundMutationKey }) === 1) {
        return Promise.all([
          queryClient.invalidateQueries(lists),
          queryClient.invalidateQueries({ queryKey: meKeys.all }),
        ]);
      }
    },
  });
}

/**
 * The ids of the sounds whose delete waits or is in flight: a listing fetched meanwhile (another
 * sound was uploaded, say) still holds them, and must not show them again.
 */
export function useSoundsBeingDeleted(): string[] {
  return useMutationState({
    filters: { mutationKey: deleteSoundMutationKey, status: 'pending' },
    select: (mutation) => (mutation.state.variables as Sound).id,
  });
}

function describeDeleteError(error: Error, sound: Sound): string {
  const what = `Could not delete “${sound.title}”, so it is back in the list.`;
  if (error instanceof ApiError) {
    if (error.code === 'NOT_OWNER') return `${what} Only its uploader may delete it.`;
    if (error.code === 'SOUND_NOT_FOUND') return `“${sound.title}” was already deleted.`;
  }
  return `${what} ${describeApiError(error)}`;
}

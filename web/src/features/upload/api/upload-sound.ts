import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Sound, unwrap, userHeaders } from '../../../lib/api/client.ts';
import { ApiError, isAbortError } from '../../../lib/api/errors.ts';
import { apiBaseUrl } from '../../../lib/api-url.ts';
import { meKeys, soundsKeys } from '../../../lib/query-keys.ts';
import { sendWithProgress, type UploadProgress } from '../../../lib/send-with-progress.ts';
import { addCachedSound } from '../../../lib/sound-cache.ts';
import {
  type ResumableUploadInput,
  ResumableUploadsUnavailable,
  uploadResumable,
} from './resumable-upload.ts';
import { unfinishedUploadsKeys } from './unfinished-uploads.ts';

export interface UploadSoundInput {
  file: File;
  /** Optional; the server names the sound after the file when it is empty. */
  title?: string;
  userId: number;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

/**
 * `POST /sounds` (multipart `file` + `title`). Sent with XMLHttpRequest so that progress can be
 * shown; rejects with an ApiError, or an AbortError when cancelled.
 */
export async function uploadSound({ file, title, userId, onProgress, signal }: UploadSoundInput) {
  const body = new FormData();
  if (title?.trim()) body.append('title', title.trim());
  body.append('file', file);
  let response: Awaited<ReturnType<typeof sendWithProgress>>;
  try {
    response = await sendWithProgress({
      url: `${apiBaseUrl()}/sounds`,
      method: 'POST',
      body,
      headers: userHeaders(userId),
      onProgress,
      signal,
    });
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw ApiError.network(error);
  }
  if (response.status !== 201) throw ApiError.fromResponse(response.status, response.body);
  return response.body as Sound;
}

export type SendSoundInput = UploadSoundInput & Omit<ResumableUploadInput, keyof UploadSoundInput>;

/**
 * Sends a sound with a resumable upload (tus), or with `POST /sounds` where the browser or the
 * API cannot. Resolves with the new sound; null when it was uploaded but could not be fetched
 * afterwards (the refreshed listings show it anyway).
 */
export async function sendSound(input: SendSoundInput): Promise<Sound | null> {
  let soundId: string;
  try {
    soundId = await uploadResumable(input);
  } catch (error) {
    if (error instanceof ResumableUploadsUnavailable) return uploadSound(input);
    throw error;
  }
  try {
    return await unwrap(
      api.GET('/sounds/{id}', {
        params: { path: { id: soundId } },
        headers: userHeaders(input.userId),
      }),
    );
  } catch {
    return null;
  }
}

/**
 * Uploads a sound. The new sound shows at the top of the listings at once (still processing);
 * the listings, and the uploader's storage use, are refreshed before the upload counts as
 * finished (the use also after a refusal: a 413 or 429 means it is not what the page shows),
 * and so are the unfinished uploads (a finished, refused or cancelled one leaves them).
 */
export function useUploadSound() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: sendSound,
    onSuccess: (sound) => {
      if (sound) addCachedSound(queryClient, sound);
      return queryClient.invalidateQueries({ queryKey: soundsKeys.lists() });
    },
    onSettled: (_sound, _error, { userId }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: meKeys.user(userId) }),
        queryClient.invalidateQueries({ queryKey: unfinishedUploadsKeys.user(userId) }),
      ]),
  });
}

import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { userHeaders } from '../../../lib/api/client.ts';
import { isAbortError } from '../../../lib/api/errors.ts';
import { apiErrorOf, fingerprintPrefix, loadTus } from './resumable-upload.ts';

/** An upload this browser started for the user and did not finish (kept by tus-js-client). */
export interface UnfinishedUpload {
  /** Its key in tus-js-client's storage. */
  storageKey: string;
  uploadUrl: string;
  fileName: string;
  /** Which file it is: choosing the same file again resumes it. */
  fingerprint: string;
  size: number;
  /** Bytes the server has; null when it could not be asked. */
  offset: number | null;
}

/** How tus-js-client names its entries in localStorage: `tus::<fingerprint>::<id>`. */
const STORAGE_PREFIX = 'tus::';

export const unfinishedUploadsKeys = {
  all: ['unfinished-uploads'] as const,
  user: (userId: number) => [...unfinishedUploadsKeys.all, userId] as const,
};

/**
 * The user's unfinished uploads, with how much of each the server has (`HEAD`). Those the server
 * no longer has (expired, terminated elsewhere) or has finished are forgotten here.
 */
export async function getUnfinishedUploads(
  userId: number,
  signal?: AbortSignal,
): Promise<UnfinishedUpload[]> {
  // Without any entry there is no need to fetch tus-js-client.
  if (!storedKeys().some((key) => key.startsWith(STORAGE_PREFIX))) return [];
  const tus = await loadTus();
  const storage = tus.defaultOptions.urlStorage;
  const prefix = `${STORAGE_PREFIX}${fingerprintPrefix(userId)}`;
  const mine = (await storage.findAllUploads())
    .filter((entry) => entry.urlStorageKey.startsWith(prefix) && entry.uploadUrl)
    .sort((a, b) => Date.parse(a.creationTime) - Date.parse(b.creationTime));

  const found = await Promise.all(
    mine.map(async (entry): Promise<UnfinishedUpload | null> => {
      const uploadUrl = entry.uploadUrl as string;
      const offset = await askOffset(uploadUrl, userId, signal);
      if (offset === 'gone') {
        await storage.removeUpload(entry.urlStorageKey);
        return null;
      }
      const key = entry.urlStorageKey;
      return {
        storageKey: key,
        uploadUrl,
        fileName: entry.metadata.filename ?? 'a file',
        fingerprint: key.slice(STORAGE_PREFIX.length, key.lastIndexOf('::')),
        size: entry.size ?? 0,
        offset,
      };
    }),
  );
  return found.filter((upload) => upload !== null);
}

/** The server's offset; 'gone' when it has no such upload or finished it; null when unknown. */
async function askOffset(
  uploadUrl: string,
  userId: number,
  signal: AbortSignal | undefined,
): Promise<number | 'gone' | null> {
  let response: Response;
  try {
    response = await fetch(uploadUrl, {
      method: 'HEAD',
      headers: { 'Tus-Resumable': '1.0.0', ...userHeaders(userId) },
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (isAbortError(error)) throw error;
    return null;
  }
  // Not there (expired, terminated elsewhere; someone else's answers 404 too).
  if (response.status === 404 || response.status === 410) return 'gone';
  if (!response.ok) return null;
  const offset = Number.parseInt(response.headers.get('Upload-Offset') ?? '', 10);
  const length = Number.parseInt(response.headers.get('Upload-Length') ?? '', 10);
  if (Number.isNaN(offset)) return null;
  // Finished, though this browser missed the answer: the sound is in the lists already.
  if (offset === length || response.headers.get('Sound-Id')) return 'gone';
  return offset;
}

function storedKeys(): string[] {
  try {
    return Object.keys(localStorage);
  } catch {
    return []; // Storage can be switched off; then nothing was kept either.
  }
}

export function unfinishedUploadsQueryOptions(userId: number) {
  return queryOptions({
    queryKey: unfinishedUploadsKeys.user(userId),
    queryFn: ({ signal }) => getUnfinishedUploads(userId, signal),
  });
}

export function useUnfinishedUploads(userId: number): UnfinishedUpload[] {
  return useQuery(unfinishedUploadsQueryOptions(userId)).data ?? [];
}

/**
 * Terminates an unfinished upload on the server (`DELETE`) and forgets it here; one the server
 * no longer has is only forgotten. Rejects with an ApiError when the server could not be asked.
 */
export async function discardUnfinishedUpload(upload: UnfinishedUpload, userId: number) {
  const tus = await loadTus();
  try {
    await tus.Upload.terminate(upload.uploadUrl, { headers: userHeaders(userId) });
  } catch (error) {
    const refusal = apiErrorOf(error);
    if (refusal.status !== 404 && refusal.status !== 410) throw refusal;
  }
  await tus.defaultOptions.urlStorage.removeUpload(upload.storageKey);
}

export function useDiscardUnfinishedUpload(userId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (upload: UnfinishedUpload) => discardUnfinishedUpload(upload, userId),
    onSettled: () =>
      queryClient.invalidateQueries({ queryKey: unfinishedUploadsKeys.user(userId) }),
  });
}

import type { DetailedError, Upload } from 'tus-js-client';
import { userHeaders } from '../../../lib/api/client.ts';
import { ApiError } from '../../../lib/api/errors.ts';
import { apiBaseUrl } from '../../../lib/api-url.ts';
import type { UploadProgress } from '../../../lib/send-with-progress.ts';

/** Bytes per PATCH: small enough for the proxies in front of the API, which cap request bodies. */
export const CHUNK_SIZE = 8 * 1024 * 1024;

/** Long enough in all (69 s) to ride out a lost connection or a restart of the API. */
export const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000];

/** The API's tus 1.0 endpoint: POST creates, HEAD/PATCH/DELETE `/uploads/{id}`. */
export function uploadsEndpoint(): string {
  return `${apiBaseUrl()}/uploads`;
}

let tusModule: Promise<typeof import('tus-js-client')> | undefined;

/** tus-js-client, fetched when it is first needed: most visits upload nothing. */
export function loadTus(): Promise<typeof import('tus-js-client')> {
  if (!tusModule) {
    const loading = import('tus-js-client');
    tusModule = loading;
    // A chunk that failed to load (offline) is asked for again next time.
    loading.catch(() => {
      if (tusModule === loading) tusModule = undefined;
    });
  }
  return tusModule;
}

/**
 * What an unfinished upload is kept under in tus-js-client's storage: the API, the user (two
 * people on one browser never resume each other's uploads) and then the file. The user comes
 * first so that one person's uploads are found by this prefix.
 */
export function fingerprintPrefix(userId: number): string {
  return `cloud-sound:${uploadsEndpoint()}:user-${userId}:`;
}

/** The same file gives the same fingerprint when it is chosen again, after a reload too. */
export function uploadFingerprint(file: File, userId: number): string {
  return `${fingerprintPrefix(userId)}${[file.name, file.type, file.size, file.lastModified].join('/')}`;
}

/** Thrown when the API (an older one) has no tus endpoint: send with `POST /sounds` instead. */
export class ResumableUploadsUnavailable extends Error {
  override readonly name = 'ResumableUploadsUnavailable';
}

let endpointCheck: Promise<boolean> | undefined;

/**
 * Whether the API has the tus endpoint, asked once per page (OPTIONS, tus's discovery): an API
 * without it may answer 404 or 405. No answer counts as yes: tus-js-client then rides out the
 * outage itself. (An API whose CORS rules answer any OPTIONS with 204 is found out by its 404
 * to the creation POST instead.)
 */
function endpointExists(): Promise<boolean> {
  endpointCheck ??= fetch(uploadsEndpoint(), { method: 'OPTIONS' }).then(
    (response) => response.status !== 404 && response.status !== 405,
    () => true,
  );
  return endpointCheck;
}

/** Forgets the answer of `endpointExists` (tests start each with a new API). */
export function forgetEndpointCheck(): void {
  endpointCheck = undefined;
}

export interface ResumableUploadInput {
  file: File;
  /** Optional; the server names the sound after the file when it is empty. */
  title?: string;
  userId: number;
  /**
   * The unfinished upload (its storage key) to continue. Without it, the file's latest
   * unfinished upload is continued when there is one.
   */
  resumeKey?: string;
  onProgress?: (progress: UploadProgress) => void;
  /**
   * A request failed for want of an answer (`connection`: lost, or the API restarting) or with
   * a 5xx (`server`); tus-js-client tries again by itself.
   */
  onRetrying?: (reason: RetryReason) => void;
  /** The upload's URL, once the server has one; from then on it may be paused and resumed. */
  onStarted?: (controls: UploadControls) => void;
  /** Aborting cancels: the upload is terminated on the server. */
  signal?: AbortSignal;
}

export type RetryReason = 'connection' | 'server';

export interface UploadControls {
  uploadUrl: string;
  pause: () => void;
  resume: () => void;
}

/**
 * Sends `file` with tus 1.0 in chunks, retrying what failed for want of an answer, and keeps it
 * in tus-js-client's storage (localStorage) until it is finished, so that it can be resumed after
 * a reload. Resolves with the new sound's id; rejects with an ApiError (the API's refusal or no
 * answer), an AbortError when cancelled, or ResumableUploadsUnavailable.
 */
export async function uploadResumable({
  file,
  title,
  userId,
  resumeKey,
  onProgress,
  onRetrying,
  onStarted,
  signal,
}: ResumableUploadInput): Promise<string> {
  const tus = await loadTus();
  if (!tus.isSupported || !(await endpointExists())) throw new ResumableUploadsUnavailable();
  if (signal?.aborted) throw abortError();

  return new Promise<string>((resolve, reject) => {
    let paused = false;
    let cancelling = false;
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      window.removeEventListener('online', restart);
      signal?.removeEventListener('abort', cancel);
      finish();
    };
    // The browser said it was offline and the retries ran out: go on once it is back.
    function restart() {
      window.removeEventListener('online', restart);
      if (!paused && !cancelling && !settled) upload.start();
    }
    // Terminated on the server (DELETE), which also forgets it here; settles once that is
    // done, so that it is not offered as unfinished meanwhile. A DELETE that finds no server
    // leaves it among the unfinished uploads, to discard later.
    function cancel() {
      cancelling = true;
      const cancelled = () => settle(() => reject(abortError()));
      upload.abort(true).then(cancelled, cancelled);
    }

    const metadata: Record<string, string> = { filename: file.name };
    if (title?.trim()) metadata.title = title.trim();
    const upload: Upload = new tus.Upload(file, {
      endpoint: uploadsEndpoint(),
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS,
      headers: userHeaders(userId),
      metadata,
      fingerprint: (chosen) => Promise.resolve(uploadFingerprint(chosen, userId)),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => onProgress?.({ loaded: sent, total }),
      onUploadUrlAvailable: () => {
        if (!upload.url) return;
        onStarted?.({
          uploadUrl: upload.url,
          pause: () => {
            paused = true;
            void upload.abort();
          },
          resume: () => {
            paused = false;
            // Started here: a later `online` must not start it a second time.
            window.removeEventListener('online', restart);
            upload.start();
          },
        });
      },
      onShouldRetry: (error) => {
        if (!isWorthRetrying(error)) return false;
        // A 409 or 423 is the server finishing an earlier request, not a lost connection.
        const status = error.originalResponse?.getStatus() ?? 0;
        if (!cancelling && (status === 0 || status >= 500)) {
          onRetrying?.(status === 0 ? 'connection' : 'server');
        }
        return true;
      },
      onSuccess: ({ lastResponse }) => {
        const soundId = lastResponse.getHeader('Sound-Id');
        settle(() =>
          soundId
            ? resolve(soundId)
            : reject(
                new ApiError(
                  lastResponse.getStatus(),
                  'NO_SOUND_ID',
                  'The server did not say which sound the upload became',
                ),
              ),
        );
      },
      onError: (error) => {
        const status = (error as DetailedError).originalResponse?.getStatus() ?? 0;
        if (status === 0 && navigator.onLine === false) {
          window.addEventListener('online', restart);
          return;
        }
        if (isMissingEndpoint(error as DetailedError)) {
          settle(() => reject(new ResumableUploadsUnavailable()));
          return;
        }
        const fail = () => settle(() => reject(apiErrorOf(error)));
        // Refused (not audio, over a limit, expired): it cannot be resumed, so it is forgotten
        // before the refusal is told. A 5xx that outlasted the retries may pass later: kept.
        if (status >= 400 && status < 500) forgetStored(upload).then(fail, fail);
        else fail();
      },
    });
    signal?.addEventListener('abort', cancel, { once: true });

    void upload.findPreviousUploads().then(
      (previous) => {
        if (cancelling || settled) return;
        const chosen = resumeKey
          ? previous.find((each) => each.urlStorageKey === resumeKey)
          : previous.toSorted((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0];
        if (chosen) upload.resumeFromPreviousUpload(chosen);
        upload.start();
      },
      () => {
        if (!cancelling) upload.start();
      },
    );
  });
}

/**
 * tus-js-client's own rule, except that it gives up at once when the browser says it is offline:
 * no answer, a 5xx, and the 409 and 423 of an upload another request is still writing to.
 */
function isWorthRetrying(error: DetailedError): boolean {
  const status = error.originalResponse?.getStatus() ?? 0;
  return status === 0 || status >= 500 || status === 409 || status === 423;
}

/** The creation request was answered 404 or 405: the API has no tus endpoint. */
function isMissingEndpoint(error: DetailedError): boolean {
  const status = error.originalResponse?.getStatus();
  return error.originalRequest?.getMethod() === 'POST' && (status === 404 || status === 405);
}

async function forgetStored(upload: Upload): Promise<void> {
  const tus = await loadTus();
  const previous = await upload.findPreviousUploads();
  for (const each of previous) {
    if (each.uploadUrl === upload.url)
      await tus.defaultOptions.urlStorage.removeUpload(each.urlStorageKey);
  }
}

/** The ApiError of a failed tus request: the API's JSON refusal, or no answer at all. */
export function apiErrorOf(error: unknown): ApiError {
  const response = (error as Partial<DetailedError>).originalResponse ?? null;
  const status = response?.getStatus() ?? 0;
  if (status === 0) return ApiError.network(error);
  let body: unknown = null;
  try {
    body = JSON.parse(response?.getBody() ?? '');
  } catch {
    // Not the API's JSON (a proxy's page): the status alone then speaks.
  }
  return ApiError.fromResponse(status, body);
}

function abortError(): DOMException {
  return new DOMException('The upload was cancelled', 'AbortError');
}

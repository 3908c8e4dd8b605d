import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, describeApiError, isAbortError } from '../../../lib/api/errors.ts';
import type { Limits } from '../../../lib/api/get-limits.ts';
import { formatBytes } from '../../../lib/format.ts';
import type { UploadControls } from '../api/resumable-upload.ts';
import type { UnfinishedUpload } from '../api/unfinished-uploads.ts';
import { useUploadSound } from '../api/upload-sound.ts';
import type { Upload } from '../components/upload-list.tsx';

/** An upload being sent: how to cancel it and, once it is resumable, pause and resume it. */
interface Running {
  fileName: string;
  controller: AbortController;
  controls?: UploadControls;
  /** Said once per trouble, not at every retry. */
  retrying: boolean;
}

const ACTIVE: ReadonlySet<Upload['state']> = new Set(['uploading', 'retrying', 'paused']);

/** Whether an upload is still on its way (sent, retried or paused), not finished. */
export function isActive(upload: Upload): boolean {
  return ACTIVE.has(upload.state);
}

/**
 * The uploads of one person, each with its progress, its own cancel and, once the server has it
 * (tus), pause and resume; a lost connection is ridden out and said. Leaving (logging out) pauses
 * what can be resumed (it is offered as unfinished next time) and cancels the rest.
 * `announcement` is what a screen reader should hear.
 */
export function useUploadQueue({ userId, limits }: { userId: number; limits: Limits | undefined }) {
  const upload = useUploadSound();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const nextKey = useRef(0);
  const running = useRef(new Map<number, Running>());
  const limitsRef = useRef(limits);
  limitsRef.current = limits;

  useEffect(() => {
    const current = running.current;
    return () => {
      for (const each of current.values()) {
        if (each.controls) each.controls.pause();
        else each.controller.abort();
      }
    };
  }, []);

  const update = useCallback(
    (key: number, change: (item: Upload) => Partial<Upload>) =>
      setUploads((current) =>
        current.map((item) => (item.key === key ? { ...item, ...change(item) } : item)),
      ),
    [],
  );

  const startOne = (file: File, title: string, unfinished?: UnfinishedUpload) => {
    const key = nextKey.current++;
    const entry: Running = {
      fileName: file.name,
      controller: new AbortController(),
      retrying: false,
    };
    running.current.set(key, entry);
    setUploads((current) => [
      ...current,
      {
        key,
        fileName: file.name,
        state: 'uploading',
        loaded: unfinished?.offset ?? 0,
        total: file.size || null,
        pausable: false,
        // Known already when resuming: it leaves the unfinished uploads at once.
        uploadUrl: unfinished?.uploadUrl,
      },
    ]);
    upload
      .mutateAsync({
        file,
        title,
        userId,
        resumeKey: unfinished?.storageKey,
        signal: entry.controller.signal,
        onProgress: ({ loaded, total }) => {
          entry.retrying = false;
          // Bytes go out again: the connection is back (a paused upload stays paused).
          update(key, (item) => ({
            loaded,
            total,
            state: item.state === 'retrying' ? 'uploading' : item.state,
          }));
        },
        onRetrying: (reason) => {
          if (entry.retrying) return;
          entry.retrying = true;
          update(key, (item) =>
            item.state === 'uploading' ? { state: 'retrying', retryReason: reason } : {},
          );
          setAnnouncement(
            reason === 'connection'
              ? `${file.name}: connection lost, retrying…`
              : `${file.name}: the server had a problem, retrying…`,
          );
        },
        onStarted: (controls) => {
          entry.controls = controls;
          update(key, () => ({ pausable: true, uploadUrl: controls.uploadUrl }));
        },
      })
      .then(
        (sound) => {
          update(key, () => ({ state: 'done', soundTitle: sound?.title }));
          setAnnouncement(
            sound ? `${file.name} uploaded as “${sound.title}”.` : `${file.name} uploaded.`,
          );
        },
        (error: unknown) => {
          if (isAbortError(error)) {
            update(key, () => ({ state: 'cancelled' }));
          } else {
            update(key, () => ({
              state: 'failed',
              error: describeUploadError(error, file.name, limitsRef.current),
            }));
          }
        },
      )
      .finally(() => running.current.delete(key));
  };

  /** Sends each file as its own sound, all named `title` (or after their files when empty). */
  const start = (files: File[], title = '') => {
    for (const file of files) startOne(file, title);
    setAnnouncement(
      files.length === 1 ? `Uploading ${files[0]?.name}…` : `Uploading ${files.length} files…`,
    );
  };

  /** Continues an upload left unfinished (before a reload) with its file, chosen again. */
  const resumeUnfinished = (file: File, unfinished: UnfinishedUpload) => {
    startOne(file, '', unfinished);
    setAnnouncement(`Resuming ${file.name}…`);
  };

  const pause = (key: number) => {
    const entry = running.current.get(key);
    if (!entry?.controls) return;
    entry.controls.pause();
    update(key, () => ({ state: 'paused' }));
    setAnnouncement(`${entry.fileName} paused.`);
  };

  const resume = (key: number) => {
    const entry = running.current.get(key);
    if (!entry?.controls) return;
    entry.retrying = false;
    entry.controls.resume();
    update(key, () => ({ state: 'uploading' }));
    setAnnouncement(`Resuming ${entry.fileName}…`);
  };

  // Shown at once; the upload settles once the server has been told (DELETE).
  const cancel = (key: number) => {
    const entry = running.current.get(key);
    if (!entry) return;
    entry.controller.abort();
    update(key, () => ({ state: 'cancelled' }));
    setAnnouncement(`Upload of ${entry.fileName} cancelled.`);
  };

  const clearFinished = () => setUploads((current) => current.filter(isActive));

  return {
    uploads,
    announcement,
    start,
    resumeUnfinished,
    pause,
    resume,
    cancel,
    clearFinished,
  };
}

/** "MP3, WAV or FLAC": the accepted formats as people call them. */
export function formatNames(limits: Limits): string {
  const names = limits.upload.formats.map((format) => format.name);
  return names.length > 1
    ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`
    : (names[0] ?? '');
}

/**
 * "MP3, WAV, AIFF and 20 more formats": the first `shown` formats (the API lists the common
 * ones first), all of them when there are few.
 */
export function summarizeFormats(limits: Limits, shown = 8): string {
  const names = limits.upload.formats.map((format) => format.name);
  if (names.length <= shown + 1) return formatNames(limits);
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more formats`;
}

function describeUploadError(error: unknown, fileName: string, limits: Limits | undefined): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'UPLOAD_TOO_LARGE':
        // Resumable uploads have their own limit; the server's message names it.
        return `“${fileName}” is too large. ${sentence(error.message)}`;
      case 'FILE_TOO_LARGE':
        return limits
          ? `“${fileName}” is too large. The server accepts files up to ${formatBytes(limits.upload.maxBytes)}.`
          : `“${fileName}” is too large for the server.`;
      case 'UNSUPPORTED_MEDIA_TYPE':
        // The decoder's verdict says what the file is ("…: a PNG image.").
        return error.status === 415 && error.message.endsWith('.')
          ? `“${fileName}” was not uploaded. ${error.message}`
          : `“${fileName}” is not an audio file the server accepts.`;
      case 'AUDIO_TOO_COMPLEX':
        return `“${fileName}” could not be checked: its structure is too large or too deep. Try exporting it again without extra tags.`;
      case 'EMPTY_FILE':
        return `“${fileName}” is empty.`;
      case 'QUOTA_EXCEEDED':
      case 'UPLOAD_OVER_QUOTA':
        return `“${fileName}” was not uploaded. ${sentence(error.message)} Delete some of your sounds to make room for it.`;
      case 'TOO_MANY_PENDING':
        return `“${fileName}” was not uploaded. ${sentence(error.message)} Wait until some of your sounds have been processed, then upload it again.`;
      case 'TOO_MANY_UNFINISHED_UPLOADS':
      case 'UNFINISHED_UPLOAD_BYTES':
        return `“${fileName}” was not uploaded. ${sentence(error.message)}`;
      case 'NETWORK_ERROR':
        return `“${fileName}” could not be sent: the server cannot be reached. Check your connection and try again.`;
    }
  }
  return `“${fileName}” was not uploaded. ${describeApiError(error)}`;
}

/** The server's message as a sentence of its own (its messages do not end with a full stop). */
function sentence(message: string): string {
  const text = message.trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

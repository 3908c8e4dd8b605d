import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, describeApiError, isAbortError } from '../../../lib/api/errors.ts';
import type { Limits } from '../../../lib/api/get-limits.ts';
import { formatBytes } from '../../../lib/format.ts';
import { useUploadSound } from '../api/upload-sound.ts';
import type { Upload } from '../components/upload-list.tsx';

/**
 * The uploads of one person, each with its progress and its own cancel; leaving (logging out)
 * cancels whatever is still being sent. `announcement` is what a screen reader should hear.
 */
export function useUploadQueue({ userId, limits }: { userId: number; limits: Limits | undefined }) {
  const upload = useUploadSound();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const nextKey = useRef(0);
  const controllers = useRef(new Map<number, AbortController>());
  const limitsRef = useRef(limits);
  limitsRef.current = limits;

  useEffect(() => {
    const running = controllers.current;
    return () => {
      for (const controller of running.values()) controller.abort();
    };
  }, []);

  const update = useCallback(
    (key: number, change: Partial<Upload>) =>
      setUploads((current) =>
        current.map((item) => (item.key === key ? { ...item, ...change } : item)),
      ),
    [],
  );

  const startOne = (file: File, title: string) => {
    const key = nextKey.current++;
    const controller = new AbortController();
    controllers.current.set(key, controller);
    setUploads((current) => [
      ...current,
      { key, fileName: file.name, state: 'uploading', loaded: 0, total: file.size || null },
    ]);
    upload
      .mutateAsync({
        file,
        title,
        userId,
        signal: controller.signal,
        onProgress: ({ loaded, total }) => update(key, { loaded, total }),
      })
      .then(
        (sound) => {
          update(key, { state: 'done', soundTitle: sound.title });
          setAnnouncement(`${file.name} uploaded as “${sound.title}”.`);
        },
        (error: unknown) => {
          if (isAbortError(error)) {
            update(key, { state: 'cancelled' });
            setAnnouncement(`Upload of ${file.name} cancelled.`);
          } else {
            update(key, {
              state: 'failed',
              error: describeUploadError(error, file.name, limitsRef.current),
            });
          }
        },
      )
      .finally(() => controllers.current.delete(key));
  };

  /** Sends each file as its own sound, all named `title` (or after their files when empty). */
  const start = (files: File[], title = '') => {
    for (const file of files) startOne(file, title);
    setAnnouncement(
      files.length === 1 ? `Uploading ${files[0]?.name}…` : `Uploading ${files.length} files…`,
    );
  };

  const cancel = (key: number) => controllers.current.get(key)?.abort();
  const clearFinished = () =>
    setUploads((current) => current.filter((item) => item.state === 'uploading'));

  return { uploads, announcement, start, cancel, clearFinished };
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
        return `“${fileName}” was not uploaded. ${sentence(error.message)} Delete some of your sounds to make room for it.`;
      case 'TOO_MANY_PENDING':
        return `“${fileName}” was not uploaded. ${sentence(error.message)} Wait until some of your sounds have been processed, then upload it again.`;
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

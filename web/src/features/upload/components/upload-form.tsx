import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { ApiError, describeApiError, isAbortError } from '../../../lib/api/errors.ts';
import { formatBytes } from '../../../lib/format.ts';
import { useUploadSound } from '../api/upload-sound.ts';
import { type Upload, UploadList } from './upload-list.tsx';

/** The file types the API recognises, for the file picker's filter. */
const ACCEPTED_FILES = 'audio/*,.mp3,.wav,.ogg,.oga,.opus,.flac,.m4a,.aac,.webm,.weba,.aif,.aiff';
const MAX_TITLE_LENGTH = 200;

/** Upload one or several audio files, each with its own progress bar and cancel button. */
export function UploadForm({ userId }: { userId: number }) {
  const upload = useUploadSound();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [title, setTitle] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const nextKey = useRef(0);
  const controllers = useRef(new Map<number, AbortController>());
  const headingId = useId();
  const filesId = useId();
  const titleId = useId();
  const titleHintId = useId();

  // Leaving (logging out) cancels whatever is still being sent.
  useEffect(() => {
    const running = controllers.current;
    return () => {
      for (const controller of running.values()) controller.abort();
    };
  }, []);

  const update = (key: number, change: Partial<Upload>) =>
    setUploads((current) =>
      current.map((item) => (item.key === key ? { ...item, ...change } : item)),
    );

  const start = (file: File, soundTitle: string) => {
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
        title: soundTitle,
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
            update(key, { state: 'failed', error: describeUploadError(error, file.name) });
          }
        },
      )
      .finally(() => controllers.current.delete(key));
  };

  const handleSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const files = Array.from(fileInput.current?.files ?? []);
    if (files.length === 0) {
      setFormError('Choose at least one audio file to upload.');
      return;
    }
    setFormError(null);
    for (const file of files) start(file, title);
    setAnnouncement(
      files.length === 1 ? `Uploading ${files[0]?.name}…` : `Uploading ${files.length} files…`,
    );
    // Ready for the next files.
    event.currentTarget.reset();
    setTitle('');
  };

  return (
    <section className="card upload-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Upload sounds</h2>
      <form className="upload-form" onSubmit={handleSubmit} noValidate>
        <div className="field">
          <label htmlFor={filesId}>Audio files</label>
          <input
            ref={fileInput}
            id={filesId}
            name="files"
            type="file"
            multiple
            accept={ACCEPTED_FILES}
            aria-describedby={formError ? `${filesId}-error` : undefined}
            onChange={() => setFormError(null)}
          />
        </div>
        <div className="field">
          <label htmlFor={titleId}>Title (optional)</label>
          <input
            id={titleId}
            name="title"
            type="text"
            value={title}
            onChange={(event) => setTitle(event.target.value)}
            maxLength={MAX_TITLE_LENGTH}
            aria-describedby={titleHintId}
          />
          <p id={titleHintId} className="hint">
            Used for every file you pick; leave it empty to name each sound after its file.
          </p>
        </div>
        <button type="submit">Upload</button>
        {formError && <Alert id={`${filesId}-error`}>{formError}</Alert>}
      </form>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {uploads.length > 0 && (
        <UploadList
          uploads={uploads}
          onCancel={(key) => controllers.current.get(key)?.abort()}
          onClearFinished={
            uploads.every((item) => item.state === 'uploading')
              ? undefined
              : () => setUploads((current) => current.filter((item) => item.state === 'uploading'))
          }
        />
      )}
    </section>
  );
}

function describeUploadError(error: unknown, fileName: string): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'FILE_TOO_LARGE': {
        const limit = /(\d+) bytes/.exec(error.message)?.[1];
        return limit
          ? `“${fileName}” is too large. The server accepts files up to ${formatBytes(Number(limit))}.`
          : `“${fileName}” is too large for the server.`;
      }
      case 'UNSUPPORTED_MEDIA_TYPE':
        return `“${fileName}” is not an audio file the server accepts. Try MP3, WAV, OGG, Opus, FLAC, M4A, AAC, WebM or AIFF.`;
      case 'AUDIO_TOO_COMPLEX':
        return `“${fileName}” could not be checked: its structure is too large or too deep. Try exporting it again without extra tags.`;
      case 'EMPTY_FILE':
        return `“${fileName}” is empty.`;
      case 'NETWORK_ERROR':
        return `“${fileName}” could not be sent: the server cannot be reached. Check your connection and try again.`;
    }
    return `“${fileName}” was not uploaded. ${describeApiError(error)}`;
  }
  return `“${fileName}” was not uploaded. ${describeApiError(error)}`;
}

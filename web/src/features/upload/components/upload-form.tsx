import { type FormEvent, useId, useRef, useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { type Limits, useLimits } from '../../../lib/api/get-limits.ts';
import { formatBytes, formatDurationInWords } from '../../../lib/format.ts';
import { useFileDrop } from '../hooks/use-file-drop.ts';
import {
  formatNames,
  isActive,
  summarizeFormats,
  useUploadQueue,
} from '../hooks/use-upload-queue.ts';
import { StorageUse } from './storage-use.tsx';
import { UnfinishedUploads } from './unfinished-uploads.tsx';
import { UploadList } from './upload-list.tsx';

/**
 * The file picker's filter: every format's extensions and media types, from `GET /limits`. Only
 * a suggestion to the picker (the person may still choose any file, and a dropped file is never
 * checked here): the server's decoder judges what is audio, whatever type the browser reports.
 */
export function acceptedFiles(limits: Limits): string {
  return [
    ...new Set(limits.upload.formats.flatMap((format) => [...format.extensions, ...format.types])),
  ].join(',');
}

/**
 * Upload one or several audio files, picked or dropped anywhere on the page, each with its own
 * progress bar, pause, resume and cancel; uploads left unfinished before a reload are offered to
 * be resumed.
 */
export function UploadForm({ userId }: { userId: number }) {
  const limits = useLimits();
  const queue = useUploadQueue({ userId, limits });
  const [formError, setFormError] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const headingId = useId();
  const filesId = useId();
  const filesHintId = useId();
  const titleId = useId();
  const titleHintId = useId();
  const activeUrls = new Set(
    queue.uploads.flatMap((item) => (isActive(item) && item.uploadUrl ? [item.uploadUrl] : [])),
  );
  const dragging = useFileDrop((files) => {
    setFormError(null);
    queue.start(files, title);
  });

  const handleSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const files = Array.from(fileInput.current?.files ?? []);
    if (files.length === 0) {
      setFormError('Choose at least one audio file to upload.');
      return;
    }
    setFormError(null);
    queue.start(files, title);
    // Ready for the next files.
    event.currentTarget.reset();
    setTitle('');
  };

  return (
    <section className="card upload-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Upload sounds</h2>
      <StorageUse userId={userId} />
      <form className="upload-form" onSubmit={handleSubmit} noValidate>
        <div className="field drop-target">
          <label htmlFor={filesId}>Audio files</label>
          <input
            ref={fileInput}
            id={filesId}
            name="files"
            type="file"
            multiple
            accept={limits ? acceptedFiles(limits) : undefined}
            aria-describedby={formError ? `${filesHintId} ${filesId}-error` : filesHintId}
            onChange={() => setFormError(null)}
          />
          <p id={filesHintId} className="hint">
            {limits
              ? `${summarizeFormats(limits)}, up to ${formatBytes(limits.upload.resumableMaxBytes)} and ${formatDurationInWords(limits.upload.maxDurationMs)} each. You can also drop files anywhere on the page.`
              : 'You can also drop files anywhere on the page.'}
          </p>
          {limits && summarizeFormats(limits) !== formatNames(limits) && (
            <details className="hint formats">
              <summary>Every format accepted</summary>
              <p>{formatNames(limits)}.</p>
            </details>
          )}
        </div>
        <div className="field">
          <label htmlFor={titleId}>Title (optional)</label>
          <input
            id={titleId}
            name="title"
            type="text"
            value={title}
            onChange={(event) => setTitle(event.target.value)}
            maxLength={limits?.title.maxLength}
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
        {queue.announcement}
      </p>
      <UnfinishedUploads
        userId={userId}
        activeUrls={activeUrls}
        onResume={queue.resumeUnfinished}
      />
      {queue.uploads.length > 0 && (
        <UploadList
          uploads={queue.uploads}
          onCancel={queue.cancel}
          onPause={queue.pause}
          onResume={queue.resume}
          onClearFinished={queue.uploads.every(isActive) ? undefined : queue.clearFinished}
        />
      )}
      {dragging && (
        <div className="drop-zone" aria-hidden="true">
          <p>Drop audio files to upload them</p>
        </div>
      )}
    </section>
  );
}

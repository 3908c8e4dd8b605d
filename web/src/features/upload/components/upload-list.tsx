import { useId } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';

export interface Upload {
  key: number;
  fileName: string;
  /** `retrying`: a request failed (see `retryReason`) and the upload is tried again by itself. */
  state: 'uploading' | 'retrying' | 'paused' | 'done' | 'failed' | 'cancelled';
  /** Why it is retrying: no answer came, or the server answered with a 5xx. */
  retryReason?: 'connection' | 'server';
  loaded: number;
  /** Bytes to send; null when unknown (the progress bar then shows activity only). */
  total: number | null;
  /** True once it can be paused and resumed (a resumable upload the server has). */
  pausable?: boolean;
  /** The resumable upload's address on the server, once it has one. */
  uploadUrl?: string;
  soundTitle?: string;
  error?: string;
}

interface UploadListProps {
  uploads: Upload[];
  onCancel: (key: number) => void;
  onPause: (key: number) => void;
  onResume: (key: number) => void;
  /** Absent while every upload is still running. */
  onClearFinished: (() => void) | undefined;
}

export function UploadList({
  uploads,
  onCancel,
  onPause,
  onResume,
  onClearFinished,
}: UploadListProps) {
  return (
    <div className="uploads">
      <ul className="upload-list" aria-label="Uploads">
        {uploads.map((upload) => (
          <UploadRow
            key={upload.key}
            upload={upload}
            onCancel={() => onCancel(upload.key)}
            onPause={() => onPause(upload.key)}
            onResume={() => onResume(upload.key)}
          />
        ))}
      </ul>
      {onClearFinished && (
        <button type="button" className="secondary" onClick={onClearFinished}>
          Clear finished
        </button>
      )}
    </div>
  );
}

interface UploadRowProps {
  upload: Upload;
  onCancel: () => void;
  onPause: () => void;
  onResume: () => void;
}

function UploadRow({ upload, onCancel, onPause, onResume }: UploadRowProps) {
  const progressId = useId();
  const percent =
    upload.total !== null && upload.total > 0
      ? Math.min(100, Math.round((upload.loaded / upload.total) * 100))
      : null;
  const { state, fileName } = upload;
  const active = state === 'uploading' || state === 'retrying' || state === 'paused';

  return (
    <li className={`upload-row upload-${state}`}>
      <div className="upload-line">
        <label htmlFor={progressId} className="upload-name">
          {fileName}
        </label>
        {active && (
          <div className="upload-actions">
            {upload.pausable && state !== 'paused' && (
              <button
                type="button"
                className="secondary"
                aria-label={`Pause upload of ${fileName}`}
                onClick={onPause}
              >
                Pause
              </button>
            )}
            {state === 'paused' && (
              <button
                type="button"
                className="secondary"
                aria-label={`Resume upload of ${fileName}`}
                onClick={onResume}
              >
                Resume
              </button>
            )}
            <button
              type="button"
              className="secondary"
              aria-label={`Cancel upload of ${fileName}`}
              onClick={onCancel}
            >
              Cancel
            </button>
          </div>
        )}
      </div>
      {/* Without a value the bar shows activity only: the browser has not said how much is sent. */}
      <progress
        id={progressId}
        max={100}
        value={state === 'done' ? 100 : (percent ?? undefined)}
        aria-valuetext={describeState(upload, percent)}
      />
      <span className="upload-state">{describeState(upload, percent)}</span>
      {state === 'failed' && upload.error && <Alert>{upload.error}</Alert>}
    </li>
  );
}

function describeState(upload: Upload, percent: number | null): string {
  switch (upload.state) {
    case 'uploading':
      if (percent === null) return 'Uploading…';
      return percent < 100 ? `${percent}% sent` : 'Sent, waiting for the server…';
    case 'retrying':
      return upload.retryReason === 'server'
        ? 'The server had a problem, retrying…'
        : 'Connection lost, retrying…';
    case 'paused':
      return percent === null ? 'Paused' : `Paused at ${percent}%`;
    case 'done':
      return upload.soundTitle ? `Uploaded as “${upload.soundTitle}”` : 'Uploaded';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
  }
}

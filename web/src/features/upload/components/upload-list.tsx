import { useId } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';

export interface Upload {
  key: number;
  fileName: string;
  state: 'uploading' | 'done' | 'failed' | 'cancelled';
  loaded: number;
  /** Bytes to send; null when unknown (the progress bar then shows activity only). */
  total: number | null;
  soundTitle?: string;
  error?: string;
}

interface UploadListProps {
  uploads: Upload[];
  onCancel: (key: number) => void;
  /** Absent while every upload is still running. */
  onClearFinished: (() => void) | undefined;
}

export function UploadList({ uploads, onCancel, onClearFinished }: UploadListProps) {
  return (
    <div className="uploads">
      <ul className="upload-list" aria-label="Uploads">
        {uploads.map((upload) => (
          <UploadRow key={upload.key} upload={upload} onCancel={() => onCancel(upload.key)} />
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

function UploadRow({ upload, onCancel }: { upload: Upload; onCancel: () => void }) {
  const progressId = useId();
  const percent =
    upload.total !== null && upload.total > 0
      ? Math.min(100, Math.round((upload.loaded / upload.total) * 100))
      : null;
  const done = upload.state === 'done';

  return (
    <li className={`upload-row upload-${upload.state}`}>
      <div className="upload-line">
        <label htmlFor={progressId} className="upload-name">
          {upload.fileName}
        </label>
        {upload.state === 'uploading' && (
          <button
            type="button"
            className="secondary"
            aria-label={`Cancel upload of ${upload.fileName}`}
            onClick={onCancel}
          >
            Cancel
          </button>
        )}
      </div>
      {/* Without a value the bar shows activity only: the browser has not said how much is sent. */}
      <progress
        id={progressId}
        max={100}
        value={done ? 100 : (percent ?? undefined)}
        aria-valuetext={describeState(upload, percent)}
      />
      <span className="upload-state">{describeState(upload, percent)}</span>
      {upload.state === 'failed' && upload.error && <Alert>{upload.error}</Alert>}
    </li>
  );
}

function describeState(upload: Upload, percent: number | null): string {
  switch (upload.state) {
    case 'uploading':
      if (percent === null) return 'Uploading…';
      return percent < 100 ? `${percent}% sent` : 'Sent, waiting for the server…';
    case 'done':
      return upload.soundTitle ? `Uploaded as “${upload.soundTitle}”` : 'Uploaded';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
  }
}

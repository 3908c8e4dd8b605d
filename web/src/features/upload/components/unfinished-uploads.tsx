import { type ChangeEvent, useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { describeApiError } from '../../../lib/api/errors.ts';
import { formatBytes } from '../../../lib/format.ts';
import { uploadFingerprint } from '../api/resumable-upload.ts';
import {
  type UnfinishedUpload,
  useDiscardUnfinishedUpload,
  useUnfinishedUploads,
} from '../api/unfinished-uploads.ts';

interface UnfinishedUploadsProps {
  userId: number;
  /** The uploads this page is sending (or has paused): they are not offered again. */
  activeUrls: ReadonlySet<string>;
  onResume: (file: File, upload: UnfinishedUpload) => void;
}

/**
 * The user's uploads left unfinished in this browser (a reload, a closed tab): the page cannot
 * read a file again by itself, so each asks for its file to be chosen again, or to be discarded.
 */
export function UnfinishedUploads({ userId, activeUrls, onResume }: UnfinishedUploadsProps) {
  const unfinished = useUnfinishedUploads(userId).filter(
    (upload) => !activeUrls.has(upload.uploadUrl),
  );
  if (unfinished.length === 0) return null;
  return (
    <ul className="upload-list" aria-label="Unfinished uploads">
      {unfinished.map((upload) => (
        <UnfinishedRow
          key={upload.storageKey}
          upload={upload}
          userId={userId}
          onResume={onResume}
        />
      ))}
    </ul>
  );
}

interface UnfinishedRowProps {
  upload: UnfinishedUpload;
  userId: number;
  onResume: (file: File, upload: UnfinishedUpload) => void;
}

function UnfinishedRow({ upload, userId, onResume }: UnfinishedRowProps) {
  const discard = useDiscardUnfinishedUpload(userId);
  const [problem, setProblem] = useState<string | null>(null);
  const { fileName, offset, size } = upload;
  // Rounded as the progress bars are, but never "100%" for what is not finished.
  const percent =
    offset !== null && size > 0 ? Math.min(99, Math.round((offset / size) * 100)) : null;

  const handleFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = '';
    if (!file) return;
    // The same name, size and date: tus-js-client finds the upload by this fingerprint.
    if (uploadFingerprint(file, userId) !== upload.fingerprint) {
      setProblem(
        `“${file.name}” is not the file this upload started with. Choose ${fileName} (${formatBytes(size)}) to resume it.`,
      );
      return;
    }
    setProblem(null);
    onResume(file, upload);
  };

  const handleDiscard = () => {
    setProblem(null);
    discard.mutate(upload, {
      onError: (error) => setProblem(`${fileName} was not discarded. ${describeApiError(error)}`),
    });
  };

  return (
    <li className="upload-row upload-unfinished">
      <p className="upload-name">
        {`Unfinished: ${fileName}${percent === null ? '' : `, ${percent}%`} — choose the file again to resume.`}
      </p>
      <div className="upload-line">
        {/* The input sits in its label, which looks like a button; the label names the file. */}
        <label className="file-button">
          {`Choose ${fileName} again`}
          <input type="file" className="visually-hidden" onChange={handleFile} />
        </label>
        <button
          type="button"
          className="danger"
          aria-label={`Discard unfinished upload of ${fileName}`}
          disabled={discard.isPending}
          onClick={handleDiscard}
        >
          Discard
        </button>
      </div>
      {problem && <Alert>{problem}</Alert>}
    </li>
  );
}

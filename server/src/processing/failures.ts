/**
 * Why a sound's processing failed: a small set of stable reasons, each with a sentence for its
 * owner. The details (ffmpeg's own words, addresses, storage keys) go to the log, never to
 * the API's answers.
 */
export const FAILURE_REASONS = {
  'not-audio': 'The file holds no audio Cloud Sound can decode.',
  undecodable: 'Most of its audio could not be decoded; the file may be damaged.',
  'too-long': 'It is longer than its file can hold: the file claims more sound than it has.',
  'over-time': 'Processing it took longer than one sound may take.',
  'over-memory': 'Processing it needed more memory than one sound may use.',
  'file-missing': 'Its uploaded file is missing from storage.',
  storage: 'Storage could not be reached while processing it.',
  internal: 'Processing failed on our side.',
} as const;

export type FailureReason = keyof typeof FAILURE_REASONS;

/** The reasons worth another attempt: the fault was not the file's. */
const RETRYABLE: ReadonlySet<FailureReason> = new Set(['storage', 'file-missing', 'internal']);

/** Processing cannot finish: `reason` is for the owner, `detail` for the log. */
export class ProcessingFailed extends Error {
  readonly reason: FailureReason;
  /** Worth another attempt: the fault was not the file's (a busy machine, storage, us). */
  readonly retryable: boolean;
  constructor(reason: FailureReason, detail: string, retryable = RETRYABLE.has(reason)) {
    super(detail);
    this.reason = reason;
    this.retryable = retryable;
  }
}

/** A stored reason as the API shows it; reasons from before this list read as `internal`. */
export function describeFailure(stored: string | null): { code: FailureReason; message: string } {
  const code =
    stored !== null && stored in FAILURE_REASONS ? (stored as FailureReason) : 'internal';
  return { code, message: FAILURE_REASONS[code] };
}

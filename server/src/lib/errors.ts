import createError from '@fastify/error';
import { USER_ID_RANGE } from '../contract.ts';

/**
 * Every error the API answers with, by its stable `code`. Handlers throw these; the error
 * plugin turns them into `{statusCode, error, message, code}`.
 */
export const Errors = {
  invalidUserId: createError(
    'INVALID_USER_ID',
    `X-User-Id must be an integer from ${USER_ID_RANGE.minimum} to ${USER_ID_RANGE.maximum} in plain decimal`,
    400,
  ),
  authRequired: createError('AUTH_REQUIRED', 'Send your user id in the X-User-Id header', 401),
  unknownUser: createError('UNKNOWN_USER', 'No user has id %s', 401),
  userExists: createError('USER_EXISTS', 'A user with id %s already exists', 409),
  notOwner: createError('NOT_OWNER', 'Only the uploader may change or delete this sound', 403),
  soundNotFound: createError('SOUND_NOT_FOUND', 'No sound has id %s', 404),
  notFailed: createError(
    'NOT_FAILED',
    'Only a sound whose processing failed can be processed again; this one is %s',
    409,
  ),
  /** A listed sound whose file file_store does not have: for the operator (the audit), not 503. */
  fileMissing: createError(
    'FILE_MISSING',
    'The %s of sound %s is missing from storage; it cannot be played until the operator restores it',
    404,
  ),
  malformedMultipart: createError(
    'MALFORMED_MULTIPART',
    'The multipart body could not be read',
    400,
  ),
  noFile: createError('NO_FILE', 'Send the sound as a multipart part named "file"', 400),
  emptyFile: createError('EMPTY_FILE', 'The uploaded file is empty', 400),
  titleTooLong: createError('TITLE_TOO_LONG', 'The title may have at most %s characters', 400),
  invalidTitle: createError('INVALID_TITLE', 'The title may not contain NUL characters', 400),
  emptyTitle: createError('EMPTY_TITLE', 'The title needs at least one visible character', 400),
  unexpectedField: createError('UNEXPECTED_FIELD', 'Unexpected multipart field "%s"', 400),
  fileTooLarge: createError('FILE_TOO_LARGE', 'The file is larger than the limit of %s bytes', 413),
  quotaExceeded: createError(
    'QUOTA_EXCEEDED',
    'Your sounds take %s of your %s bytes of storage: delete some to upload more',
    413,
  ),
  uploadOverQuota: createError(
    'QUOTA_EXCEEDED',
    'The file is larger than the %s bytes left of your storage: delete some sounds to upload it',
    413,
  ),
  tooManyPending: createError(
    'TOO_MANY_PENDING',
    '%s of your sounds are waiting to be processed (at most %s): upload more once some are ready',
    429,
  ),
  notAudio: createError('UNSUPPORTED_MEDIA_TYPE', '%s', 415),
  audioUnverifiable: createError(
    'AUDIO_TOO_COMPLEX',
    'The file could not be checked within its budget (it needed %s); it may be valid audio, but its structure is too large or too deep',
    422,
  ),
  audioTooLong: createError('AUDIO_TOO_LONG', '%s', 422),
  tooManyAtOnce: createError(
    'TOO_MANY_AT_ONCE',
    'Too many %s at once from your address (at most %s); wait for one to end',
    429,
  ),
  rangeNotSatisfiable: createError(
    'RANGE_NOT_SATISFIABLE',
    'The requested range is outside the file',
    416,
  ),
  invalidCursor: createError('INVALID_CURSOR', 'The cursor is not one this API handed out', 400),
  userApiUnavailable: createError(
    'USER_API_UNAVAILABLE',
    'The user service is unavailable; try again shortly',
    503,
  ),
  storageUnavailable: createError(
    'STORAGE_UNAVAILABLE',
    'The file store is unavailable; try again shortly',
    503,
  ),
  storageBusy: createError(
    'STORAGE_UNAVAILABLE',
    'The file store is busy with other transfers; try again shortly',
    503,
  ),
  mediaCheckBusy: createError(
    'SERVER_BUSY',
    'Too many uploads are being checked right now; try again shortly',
    503,
  ),
  databaseUnavailable: createError(
    'DATABASE_UNAVAILABLE',
    'The database is unavailable; try again shortly',
    503,
  ),
  uploadAborted: createError('UPLOAD_ABORTED', 'The upload was cut off before it finished', 400),
  uploadNotFound: createError('UPLOAD_NOT_FOUND', 'You have no upload with id %s', 404),
  uploadExpired: createError('UPLOAD_EXPIRED', 'The upload expired before it was finished', 410),
  uploadOffsetMismatch: createError(
    'UPLOAD_OFFSET_MISMATCH',
    'Upload-Offset does not match the bytes received so far; ask with HEAD and resume from there',
    409,
  ),
  uploadBusy: createError(
    'UPLOAD_BUSY',
    'Another request is appending to this upload; try again once it has ended',
    409,
  ),
  uploadTooLarge: createError('UPLOAD_TOO_LARGE', '%s', 413),
  tooManyParts: createError(
    'TOO_MANY_PARTS',
    'An upload may arrive in at most %s requests; send larger chunks',
    413,
  ),
  tooManyUnfinishedUploads: createError(
    'TOO_MANY_UNFINISHED_UPLOADS',
    'You have %s unfinished uploads (at most %s): finish or cancel one first',
    429,
  ),
  unfinishedUploadBytes: createError(
    'UNFINISHED_UPLOAD_BYTES',
    'Your unfinished uploads would hold %s bytes (at most %s): finish or cancel one first',
    429,
  ),
  /** The tus protocol's own refusals: a header missing or malformed, a version not spoken. */
  tusRequest: createError('INVALID_TUS_REQUEST', '%s', 400),
  tusVersion: createError(
    'TUS_VERSION_UNSUPPORTED',
    'Send Tus-Resumable: 1.0.0, the tus version this server speaks',
    412,
  ),
} as const;

/** The one error body every answer of the API uses: `{statusCode, error, message, code}`. */
export { errorBody } from '@cloud-sound/service-kit/errors';

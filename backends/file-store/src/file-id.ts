import { HttpError } from '@cloud-sound/service-kit/errors';

export const MAX_ID_BYTES = 1024;

/**
 * Any string is an id, within limits that keep requests and logs sane. Ids never become a
 * path as they are (storage hashes them), so dots, slashes and NUL bytes need no special care.
 */
export function checkFileId(id: string | undefined): string {
  // busboy gives no field name at all for `name=""` (curl -F "=@a.mp3").
  if (id === undefined || id.length === 0) {
    throw new HttpError(400, 'INVALID_ID', 'The file id is empty');
  }
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    throw new HttpError(400, 'ID_TOO_LONG', `A file id is at most ${MAX_ID_BYTES} UTF-8 bytes`);
  }
  // A lone surrogate would be written as U+FFFD and so collide with another id.
  if (!id.isWellFormed()) {
    throw new HttpError(400, 'INVALID_ID', 'The file id is not valid Unicode');
  }
  return id;
}

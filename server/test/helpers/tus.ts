import { randomBytes } from 'node:crypto';
import { wavHeader } from './audio.ts';

/** tus 1.0 by hand, for tests that need each request exactly (tus-js-client hides them). */

export const TUS = { 'tus-resumable': '1.0.0' };

/**
 * A WAV of `size` bytes in all, its samples random: any byte out of place changes its hash.
 * 96 kHz, so that even a GiB of it is shorter than MAX_DURATION_MS's three hours.
 */
export function noiseWav(size: number): Buffer {
  return Buffer.concat([wavHeader(size - 44, 96_000), randomBytes(size - 44)]);
}

function metadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** POST /uploads: resolves to the answer and the upload's absolute URL (when created). */
export async function createUpload(
  apiUrl: string,
  userId: number,
  length: number,
  fields: Record<string, string> = { filename: 'noise.wav' },
  body?: Uint8Array,
): Promise<{ response: Response; url: string }> {
  const response = await fetch(`${apiUrl}/uploads`, {
    method: 'POST',
    headers: {
      ...TUS,
      'x-user-id': String(userId),
      'upload-length': String(length),
      'upload-metadata': metadata(fields),
      ...(body ? { 'content-type': 'application/offset+octet-stream' } : {}),
    },
    ...(body ? { body } : {}),
  });
  const location = response.headers.get('location');
  return { response, url: location ? new URL(location, apiUrl).href : '' };
}

export function patchUpload(
  url: string,
  userId: number,
  offset: number,
  bytes: Uint8Array,
): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: {
      ...TUS,
      'x-user-id': String(userId),
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
    },
    body: bytes,
  });
}

export function headUpload(url: string, userId: number): Promise<Response> {
  return fetch(url, { method: 'HEAD', headers: { ...TUS, 'x-user-id': String(userId) } });
}

export function cancelUpload(url: string, userId: number): Promise<Response> {
  return fetch(url, { method: 'DELETE', headers: { ...TUS, 'x-user-id': String(userId) } });
}

/** The server's offset for the upload (HEAD), as a number. */
export async function offsetOf(url: string, userId: number): Promise<number> {
  const response = await headUpload(url, userId);
  if (response.status !== 200) throw new Error(`HEAD answered ${response.status}`);
  return Number(response.headers.get('upload-offset'));
}

/**
 * Sends `bytes` in PATCHes of `chunk` bytes from the server's offset on; resolves to the last
 * answer (the one that carries `Sound-Id`).
 */
export async function sendRest(
  url: string,
  userId: number,
  bytes: Buffer,
  chunk: number,
): Promise<Response> {
  let offset = await offsetOf(url, userId);
  let last: Response | undefined;
  while (offset < bytes.length) {
    last = await patchUpload(url, userId, offset, bytes.subarray(offset, offset + chunk));
    if (last.status !== 204) return last;
    offset = Number(last.headers.get('upload-offset'));
  }
  if (!last) throw new Error('nothing was left to send');
  return last;
}

import { Type } from 'typebox';

/**
 * Reply schemas: what each answer of the API is, for the serializer and for the OpenAPI
 * document (a `description` per status, the headers that come with it).
 */

/** Why an error status is answered, in the document's words. */
const ERROR_REASONS: Record<number, string> = {
  400: 'The request is not valid: a parameter, a header or the body (see `code` and `message`)',
  401: 'No `X-User-Id`, or one no registered user has',
  403: 'The sound is not yours',
  404: 'No such sound (or, for its rendition and waveform, not processed yet)',
  408: 'The request took too long to arrive (`HEADERS_TIMEOUT_MS`)',
  409: 'A conflict with the current state: the user id is registered already, the sound did not fail, or (resumable uploads) `Upload-Offset` is not the server’s or another request is appending',
  410: 'The upload expired before it was finished',
  412: 'No `Tus-Resumable: 1.0.0`',
  413: 'The body is larger than the limit (`GET /limits`), or than what is left of your storage quota (`GET /me`)',
  414: 'A path segment of the URL is too long',
  415: 'The body is of a type this operation does not take, or the file is not audio (`message` says what it is)',
  416: 'The requested range lies outside the file',
  417: 'An `Expect` other than `100-continue`',
  422: 'The file could not be checked within its budget, or it claims more sound than it may hold',
  429: 'Too many requests from your address (a rate limit, or too many transfers or event streams at once: see `Retry-After`), or too many of your sounds waiting for processing',
  431: 'The request headers are too large',
  503: 'A service behind the API is unavailable or busy; try again shortly',
};

const integerHeader = (description: string) => Type.Integer({ description });

/** `Retry-After`, on the answers that say when to try again. */
export const RETRY_AFTER = {
  'Retry-After': integerHeader('Seconds to wait before trying again'),
};

/** The rate limit's state, on every answer of a rate-limited operation. */
export const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': integerHeader('Requests allowed per window from your address'),
  'X-RateLimit-Remaining': integerHeader('Requests left in this window'),
  'X-RateLimit-Reset': integerHeader('Seconds until the window starts anew'),
};

/** One error status: the error shape, its reason, and its headers. */
export function errorReply(status: number) {
  const headers =
    status === 429 ? { ...RETRY_AFTER, ...RATE_LIMIT_HEADERS } : status === 503 ? RETRY_AFTER : {};
  return {
    ...Type.Ref('ApiError'),
    description: ERROR_REASONS[status] ?? 'An error',
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  };
}

/** The reply schemas for a set of error statuses, all the same shape. */
export function errorReplies<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((status) => [status, errorReply(status)])) as {
    [K in S[number]]: ReturnType<typeof errorReply>;
  };
}

/** A success reply: its schema, described. */
export function reply<T extends object>(description: string, schema: T, headers?: object) {
  return { ...schema, description, ...(headers ? { headers } : {}) };
}

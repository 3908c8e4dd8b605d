import type { components } from './schema.gen.ts';

type ErrorBody = components['schemas']['ApiError'];

/** The code an `ApiError` carries when no HTTP answer arrived at all (server down, CORS, offline). */
export const NETWORK_ERROR = 'NETWORK_ERROR';

/**
 * A failed API call: the HTTP status (0 when the server could not be reached) and the API's
 * stable error `code` (see the `Error` schema), so callers can word each case for people.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }

  /** Builds the error from a reply's status and parsed body, whatever shape the body has. */
  static fromResponse(status: number, body: unknown): ApiError {
    if (isErrorBody(body)) return new ApiError(status, body.code, body.message);
    return new ApiError(status, `HTTP_${status}`, `The server answered ${status}`);
  }

  static network(cause: unknown): ApiError {
    return new ApiError(0, NETWORK_ERROR, 'The server could not be reached', { cause });
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Partial<ErrorBody>).code === 'string' &&
    typeof (body as Partial<ErrorBody>).message === 'string'
  );
}

/** True for the rejection of a call that was cancelled through its AbortSignal. */
export function isAbortError(error: unknown): boolean {
  // By name, not instanceof DOMException: the error may come from another realm's DOMException.
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'AbortError'
  );
}

/** Words for the failures every feature shares; features word their own cases first. */
export function describeApiError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (error.status === 0) {
    return 'The Cloud Sound server cannot be reached. Check your connection and try again.';
  }
  switch (error.code) {
    case 'USER_API_UNAVAILABLE':
      return 'The user service is down at the moment. Please try again in a little while.';
    case 'STORAGE_UNAVAILABLE':
      return 'Sound storage is down at the moment. Please try again in a little while.';
    case 'DATABASE_UNAVAILABLE':
      return 'The sound library is down at the moment. Please try again in a little while.';
    case 'UNKNOWN_USER':
    case 'AUTH_REQUIRED':
    case 'INVALID_USER_ID':
      return 'Your login is no longer valid. Please log out and log in again.';
    case 'RATE_LIMITED':
      return 'That was a lot of requests in a short time. Please wait a minute and try again.';
    case 'TOO_MANY_AT_ONCE':
      return 'Too much is going on at once from your connection. Let something finish and try again.';
    case 'SERVER_BUSY':
      return 'The server is busy with other uploads. Please try again in a moment.';
  }
  if (error.status >= 500) {
    return 'The server ran into a problem. Please try again in a little while.';
  }
  return error.message;
}

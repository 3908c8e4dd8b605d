import createClient from 'openapi-fetch';
import { apiBaseUrl } from '../api-url.ts';
import { ApiError, isAbortError } from './errors.ts';
import type { components, paths } from './schema.gen.ts';

export type Sound = components['schemas']['Sound'];
export type SoundList = components['schemas']['SoundList'];
export type User = components['schemas']['User'];
/** One message of `GET /events`: a listed sound changed, or (`reset`) reload everything. */
export type SoundEvent = components['schemas']['SoundEvent'];

/** The typed Cloud Sound API client; every path, parameter and reply comes from schema.gen.ts. */
export const api = createClient<paths>({
  baseUrl: apiBaseUrl(),
  // Look fetch up on every call: openapi-fetch would otherwise keep the one present at import
  // time and miss a wrapper installed later (the tests' mock server does that).
  fetch: (request) => globalThis.fetch(request),
});

/** The header a logged-in client sends on protected routes. */
export function userHeaders(userId: number): Record<string, string> {
  return { 'X-User-Id': String(userId) };
}

type FetchResult = { data?: unknown; error?: unknown; response: Response };
/** The data of the success member of openapi-fetch's result union. */
type DataOf<Result> = Result extends { data: infer Data } ? Data : never;

/**
 * openapi-fetch returns errors instead of throwing; React Query wants a rejection. Resolves with
 * the reply's data, or rejects with an `ApiError` (status 0 when no reply came) or the
 * AbortError of a cancelled call.
 */
export async function unwrap<Result extends FetchResult>(
  pending: Promise<Result>,
): Promise<DataOf<Result>> {
  let result: Result;
  try {
    result = await pending;
  } catch (cause) {
    if (isAbortError(cause)) throw cause;
    throw ApiError.network(cause);
  }
  // A 204 (or any empty reply) has neither data nor error: the status decides.
  if (!result.response.ok) throw ApiError.fromResponse(result.response.status, result.error);
  return result.data as DataOf<Result>;
}

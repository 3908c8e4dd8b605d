import { Pool } from 'undici';

/**
 * Timeouts for calls to the internal services. Short connect and header timeouts make a dead
 * backend answer fast (503) instead of hanging a request; the body timeout is an idle timeout
 * (time between chunks), so a long but steady transfer is never cut off.
 */
export interface BackendTimeouts {
  connectTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
}

/** The defaults of BACKEND_*_TIMEOUT_MS, for clients built outside the app (scripts, tests). */
export const DEFAULT_BACKEND_TIMEOUTS: BackendTimeouts = {
  connectTimeout: 2_000,
  headersTimeout: 10_000,
  bodyTimeout: 30_000,
};

export function createPool(
  baseUrl: string,
  timeouts: BackendTimeouts = DEFAULT_BACKEND_TIMEOUTS,
): Pool {
  return new Pool(baseUrl, { ...timeouts, connections: 64, keepAliveTimeout: 10_000 });
}

/** Every undici response body must be consumed or dumped, or its connection is never reused. */
export async function discardBody(body: { dump(): Promise<void> }): Promise<void> {
  await body.dump().catch(() => {});
}

import { Pool } from 'undici';

/**
 * Timeouts for calls to the internal services. Short connect and header timeouts make a dead
 * backend answer fast (503) instead of hanging a request; the body timeout is an idle timeout
 * (time between chunks), so a long but steady transfer is never cut off.
 */
export const BACKEND_TIMEOUTS = {
  connectTimeout: 2_000,
  headersTimeout: 10_000,
  bodyTimeout: 30_000,
} as const;

export function createPool(baseUrl: string): Pool {
  return new Pool(baseUrl, { ...BACKEND_TIMEOUTS, connections: 64, keepAliveTimeout: 10_000 });
}

/** Every undici response body must be consumed or dumped, or its connection is never reused. */
export async function discardBody(body: { dump(): Promise<void> }): Promise<void> {
  await body.dump().catch(() => {});
}

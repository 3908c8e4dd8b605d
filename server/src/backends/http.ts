import { Pool } from 'undici';
import type { Config } from '../config.ts';

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

/** The BACKEND_*_TIMEOUT_MS settings, as undici takes them. */
export function backendTimeouts(
  config: Pick<
    Config,
    'BACKEND_CONNECT_TIMEOUT_MS' | 'BACKEND_HEADERS_TIMEOUT_MS' | 'BACKEND_BODY_TIMEOUT_MS'
  >,
): BackendTimeouts {
  return {
    connectTimeout: config.BACKEND_CONNECT_TIMEOUT_MS,
    headersTimeout: config.BACKEND_HEADERS_TIMEOUT_MS,
    bodyTimeout: config.BACKEND_BODY_TIMEOUT_MS,
  };
}

export function createPool(baseUrl: string, timeouts: BackendTimeouts): Pool {
  return new Pool(baseUrl, { ...timeouts, connections: 64, keepAliveTimeout: 10_000 });
}

/** Every undici response body must be consumed or dumped, or its connection is never reused. */
export async function discardBody(body: { dump(): Promise<void> }): Promise<void> {
  await body.dump().catch(() => {});
}

import { Semaphore, withTimeout } from 'async-mutex';
import { Pool } from 'undici';
import type { Config } from '../config.ts';

/**
 * Timeouts for calls to the internal services. Short connect and header timeouts make a dead
 * backend answer fast (503) instead of hanging a request; the body timeout is an idle timeout
 * (time between chunks), so a long but steady transfer is never cut off. `queueTimeout` bounds
 * the wait for a free connection, which neither of the others covers.
 */
export interface BackendTimeouts {
  connectTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
  queueTimeout: number;
}

/** The BACKEND_*_TIMEOUT_MS settings, as undici takes them. */
export function backendTimeouts(
  config: Pick<
    Config,
    | 'BACKEND_CONNECT_TIMEOUT_MS'
    | 'BACKEND_HEADERS_TIMEOUT_MS'
    | 'BACKEND_BODY_TIMEOUT_MS'
    | 'BACKEND_QUEUE_TIMEOUT_MS'
  >,
): BackendTimeouts {
  return {
    connectTimeout: config.BACKEND_CONNECT_TIMEOUT_MS,
    headersTimeout: config.BACKEND_HEADERS_TIMEOUT_MS,
    bodyTimeout: config.BACKEND_BODY_TIMEOUT_MS,
    queueTimeout: config.BACKEND_QUEUE_TIMEOUT_MS,
  };
}

export function createPool(baseUrl: string, timeouts: BackendTimeouts, connections: number): Pool {
  const { connectTimeout, headersTimeout, bodyTimeout } = timeouts;
  return new Pool(baseUrl, {
    connectTimeout,
    headersTimeout,
    bodyTimeout,
    connections,
    keepAliveTimeout: 10_000,
  });
}

/**
 * The deadline of a short call (a lookup, a delete, a health check): waiting for a connection,
 * connecting and the answer's headers together. undici's own timeouts start only once the
 * request has a connection, so a call queued behind a full pool would otherwise wait forever.
 */
export function callDeadline(timeouts: BackendTimeouts): AbortSignal {
  return AbortSignal.timeout(
    timeouts.queueTimeout + timeouts.connectTimeout + timeouts.headersTimeout,
  );
}

/** No slot came free within the queue timeout. */
export class NoFreeSlot extends Error {
  override name = 'NoFreeSlot';
}

/**
 * A fixed number of long transfers (uploads or playbacks) at once, each holding one backend
 * connection for as long as its bytes flow. A transfer waits at most `waitMs` for a slot.
 */
export interface Slots {
  /** Resolves with the function that gives the slot back; rejects with NoFreeSlot. */
  take(): Promise<() => void>;
}

export function createSlots(count: number, waitMs: number): Slots {
  const semaphore = withTimeout(new Semaphore(count), waitMs, new NoFreeSlot());
  return {
    async take() {
      const [, release] = await semaphore.acquire();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    },
  };
}

/** Every undici response body must be consumed or dumped, or its connection is never reused. */
export async function discardBody(body: { dump(): Promise<void> }): Promise<void> {
  await body.dump().catch(() => {});
}

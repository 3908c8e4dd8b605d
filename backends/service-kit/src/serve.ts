import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

/** Within this, a closing program finishes what it is doing; then it exits anyway. */
const CLOSE_GRACE_MS = 10_000;

/**
 * Closes `app` on SIGTERM or SIGINT (and after an uncaught error): it stops accepting, lets
 * in-flight work finish within the grace period, and closes what its plugins opened.
 */
export function closeOnSignals(app: FastifyInstance): void {
  closeWithGrace({ delay: CLOSE_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error');
    else app.log.info({ signal }, 'closing');
    await app.close();
  });
}

/** A program's `main`: listens on host:port, closes gracefully on signals, says it is ready. */
export async function serve(
  app: FastifyInstance,
  options: { name: string; host: string; port: number; details?: Record<string, unknown> },
): Promise<void> {
  closeOnSignals(app);
  const url = await app.listen({ host: options.host, port: options.port });
  app.log.info({ url, ...options.details }, `${options.name} ready`);
}

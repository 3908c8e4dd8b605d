import fp from 'fastify-plugin';
import { reapUnfinishedSounds } from '../sounds/reaper.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs one reaper pass now (also used by tests and the audit); resolves to rows removed. */
    reap(): Promise<number>;
  }
}

/** Runs the reaper once the server is up and then every REAPER_INTERVAL_MS, never overlapping. */
export default fp(
  async (fastify) => {
    const { REAPER_INTERVAL_MS, REAPER_STALE_AFTER_MS } = fastify.config;
    let running: Promise<number> | undefined;

    function reap(): Promise<number> {
      running ??= reapUnfinishedSounds({
        db: fastify.db,
        fileStore: fastify.fileStore,
        log: fastify.log,
        staleAfterMs: REAPER_STALE_AFTER_MS,
      }).finally(() => {
        running = undefined;
      });
      return running;
    }

    function reapInBackground() {
      reap().catch((error) => fastify.log.warn({ err: error }, 'reaper pass failed'));
    }

    fastify.decorate('reap', reap);
    let timer: NodeJS.Timeout | undefined;
    fastify.addHook('onReady', async () => {
      reapInBackground();
      timer = setInterval(reapInBackground, REAPER_INTERVAL_MS).unref();
    });
    fastify.addHook('onClose', async () => {
      clearInterval(timer);
      await running?.catch(() => {});
    });
  },
  { name: 'reaper', dependencies: ['db', 'backends'] },
);

import fp from 'fastify-plugin';
import { createSoundsService, type SoundsService } from '../sounds/service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Everything about sounds: listing, playback, upload, delete, the reaper. */
    sounds: SoundsService;
    /** Runs one reaper pass now (also used by tests and the audit); resolves to rows removed. */
    reap(): Promise<number>;
  }
}

/**
 * The sounds service (sounds/service.ts), and its reaper: once the server is up and then every
 * REAPER_INTERVAL_MS, never two passes at once in this process.
 */
export default fp(
  async (fastify) => {
    const service = createSoundsService({
      onPublished: () => fastify.processing.wake(),
      db: fastify.db,
      fileStore: fastify.fileStore,
      uploadCheck: fastify.uploadCheck,
      log: fastify.log,
      config: fastify.config,
    });
    fastify.decorate('sounds', service);
    // A listener polling a sound sees `ready` as soon as its job is done here, not a cached
    // `pending`. Every other process's write (another replica, a worker, the reaper) is
    // forgotten as soon as it commits, through the database's events (plugins/events.ts).
    fastify.processing.onOutcome((_soundId, outcome) => {
      if (outcome === 'done' || outcome === 'failed') service.changed();
    });

    let running: Promise<number> | undefined;
    function reap(): Promise<number> {
      running ??= service.reap().finally(() => {
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
      timer = setInterval(reapInBackground, fastify.config.REAPER_INTERVAL_MS).unref();
    });
    fastify.addHook('onClose', async () => {
      clearInterval(timer);
      await running?.catch(() => {});
    });
  },
  { name: 'sounds', dependencies: ['config', 'db', 'backends', 'upload-check', 'processing'] },
);

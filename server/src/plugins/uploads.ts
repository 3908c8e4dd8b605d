import type { Server as TusServer } from '@tus/server';
import fp from 'fastify-plugin';
import { createResumableUploads, type ResumableUploadsService } from '../uploads/service.ts';
import { createTusServer } from '../uploads/tus.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Resumable uploads: their rows, parts and publishing (uploads/service.ts). */
    resumableUploads: ResumableUploadsService;
    /** The tus protocol on top of them, which routes/uploads.ts hands its requests to. */
    tus: TusServer;
  }
}

/**
 * Resumable uploads, and their reaper: expired uploads and leftover parts are removed once the
 * server is up and then every REAPER_INTERVAL_MS.
 */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    const uploads = createResumableUploads({
      db: fastify.db,
      fileStore: fastify.fileStore,
      uploadCheck: fastify.uploadCheck,
      log: fastify.log,
      onPublished: () => {
        fastify.sounds.changed();
        fastify.processing.wake();
      },
      config,
    });
    fastify.decorate('resumableUploads', uploads);
    fastify.decorate(
      'tus',
      createTusServer(uploads, {
        maxBytes: config.RESUMABLE_MAX_BYTES,
        expiryMs: config.RESUMABLE_EXPIRY_MS,
      }),
    );

    let running: Promise<number> | undefined;
    const reapInBackground = () => {
      running ??= uploads
        .reap()
        .catch((error) => {
          fastify.log.warn({ err: error }, 'upload reaper pass failed');
          return 0;
        })
        .finally(() => {
          running = undefined;
        });
    };
    let timer: NodeJS.Timeout | undefined;
    fastify.addHook('onReady', async () => {
      reapInBackground();
      timer = setInterval(reapInBackground, config.REAPER_INTERVAL_MS).unref();
    });
    fastify.addHook('onClose', async () => {
      clearInterval(timer);
      await running;
    });
  },
  {
    name: 'uploads',
    dependencies: ['config', 'db', 'backends', 'upload-check', 'processing', 'sounds'],
  },
);

import fp from 'fastify-plugin';
import { createRunnerFromSettings, type ProcessingRunner } from '../processing/runner.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The processing jobs' runner in this process (idle when PROCESSING_CONCURRENCY is 0). */
    processing: ProcessingRunner;
  }
}

/**
 * Processing in the API process: PROCESSING_CONCURRENCY jobs at once, from the moment the
 * server is ready; stopped on shutdown, its running jobs given back for another process.
 */
export default fp(
  async (fastify) => {
    const runner = createRunnerFromSettings(fastify.config, {
      db: fastify.db,
      fileStore: fastify.fileStore,
      log: fastify.log,
    });
    fastify.decorate('processing', runner);
    fastify.addHook('onReady', async () => runner.start());
    fastify.addHook('onClose', () => runner.stop());
  },
  { name: 'processing', dependencies: ['config', 'db', 'backends'] },
);

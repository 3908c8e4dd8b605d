import fp from 'fastify-plugin';
import { type AudioCheck, createAudioCheck } from '../media/audio-check.ts';

declare module 'fastify' {
  interface FastifyInstance {
    audioCheck: AudioCheck;
  }
}

/** The upload check's worker threads (media/audio-check.ts), stopped on shutdown. */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    const audioCheck = createAudioCheck({
      fileStoreUrl: config.FILE_STORE_URL,
      timeoutMs: config.MEDIA_CHECK_TIMEOUT_MS,
      memoryMb: config.MEDIA_CHECK_MEMORY_MB,
      maxBytes: config.MEDIA_CHECK_MAX_BYTES,
      threads: config.MEDIA_CHECK_THREADS,
      queueTimeoutMs: config.BACKEND_QUEUE_TIMEOUT_MS,
      // A stalled file_store must read as an outage (503), not as a file over its budget.
      readTimeoutMs: Math.min(
        config.BACKEND_CONNECT_TIMEOUT_MS + config.BACKEND_HEADERS_TIMEOUT_MS,
        Math.floor(config.MEDIA_CHECK_TIMEOUT_MS / 2),
      ),
    });
    fastify.decorate('audioCheck', audioCheck);
    fastify.addHook('onClose', () => audioCheck.close());
  },
  { name: 'audio-check', dependencies: ['config'] },
);

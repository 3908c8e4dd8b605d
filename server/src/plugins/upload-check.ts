import fp from 'fastify-plugin';
import { probeBudget } from '../media/probe.ts';
import { createMediaTool } from '../media/tool.ts';
import { createUploadCheck, type UploadCheck } from '../media/upload-check.ts';

declare module 'fastify' {
  interface FastifyInstance {
    uploadCheck: UploadCheck;
  }
}

/** The upload check (media/upload-check.ts): ffprobe under the MEDIA_CHECK_* budget. */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    const ffprobe = createMediaTool(config.FFPROBE_PATH, probeBudget(config));
    fastify.decorate(
      'uploadCheck',
      createUploadCheck(ffprobe, {
        concurrency: config.MEDIA_CHECK_CONCURRENCY,
        queueTimeoutMs: config.MEDIA_CHECK_QUEUE_TIMEOUT_MS,
      }),
    );
  },
  { name: 'upload-check', dependencies: ['config'] },
);

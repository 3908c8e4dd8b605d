import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { reply } from '../schemas/replies.ts';

export const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const processingState = async () => {
    if (fastify.config.PROCESSING_CONCURRENCY === 0) return 'off' as const;
    return (await fastify.processing.ffmpegAvailable())
      ? ('ok' as const)
      : ('unavailable' as const);
  };

  fastify.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['health'],
        summary: 'Liveness: the process answers',
        description: 'Answers 200 while the process runs, whatever its dependencies do.',
        response: {
          200: reply(
            'Alive',
            Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }),
          ),
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  fastify.get(
    '/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness: the database and both backends answer',
        description:
          'For a load balancer: 200 while this API can serve (database, user_api and file_store answer), 503 otherwise. `processing` and `uploadCheck` report ffmpeg and ffprobe, `redis` the store the limits count in, and `missingFiles` the stored files found missing, none of them changing the answer.',
        response: {
          200: reply('Ready: the database and both backends answer', Type.Ref('Readiness')),
          503: reply('Not ready: `checks` names what is unavailable', Type.Ref('Readiness')),
        },
      },
    },
    async (request, reply) => {
      const check = (probe: () => Promise<unknown>) =>
        probe().then(
          () => 'ok' as const,
          (error) => {
            request.log.warn({ err: error }, 'readiness check failed');
            return 'unavailable' as const;
          },
        );
      const [database, userApi, fileStore, redis] = await Promise.all([
        check(() => fastify.pingDatabase()),
        check(() => fastify.userApi.ping()),
        check(() => fastify.fileStore.ping()),
        fastify.redisState(),
      ]);
      const ready = database === 'ok' && userApi === 'ok' && fileStore === 'ok';
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'unavailable',
        checks: { database, userApi, fileStore },
        processing: await processingState(),
        uploadCheck: (await fastify.uploadCheck.available()) ? 'ok' : 'unavailable',
        redis,
        missingFiles: fastify.sounds.missingFilesSeen(),
      });
    },
  );
};

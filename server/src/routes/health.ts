import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const CheckResult = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]);
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Object({ database: CheckResult, userApi: CheckResult, fileStore: CheckResult }),
  processing: Type.Union([Type.Literal('ok'), Type.Literal('unavailable'), Type.Literal('off')], {
    description:
      'ffmpeg in this process: `unavailable` when it cannot run (sounds stay pending until it can), `off` when another process does the processing. It does not make the API unready: everything else works without it.',
  }),
});

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
        tags: ['health'],
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  fastify.get(
    '/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database and both backends answer',
        response: { 200: Readiness, 503: Readiness },
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
      const [database, userApi, fileStore] = await Promise.all([
        check(() => fastify.pingDatabase()),
        check(() => fastify.userApi.ping()),
        check(() => fastify.fileStore.ping()),
      ]);
      const ready = database === 'ok' && userApi === 'ok' && fileStore === 'ok';
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'unavailable',
        checks: { database, userApi, fileStore },
        processing: await processingState(),
      });
    },
  );
};

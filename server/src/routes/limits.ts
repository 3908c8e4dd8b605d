import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ACCEPTED_FORMATS, MAX_TITLE_LENGTH, PAGE_SIZE, USER_ID_RANGE } from '../contract.ts';
import { reply } from '../schemas/replies.ts';

/**
 * GET /limits: the numbers a client must respect, as this API is configured (the upload limit
 * is a setting), so that no client restates them.
 */
export const limitsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const limits = {
    userId: USER_ID_RANGE,
    title: { maxLength: MAX_TITLE_LENGTH },
    page: PAGE_SIZE,
    upload: {
      maxBytes: fastify.config.MAX_UPLOAD_BYTES,
      resumableMaxBytes: fastify.config.RESUMABLE_MAX_BYTES,
      maxDurationMs: fastify.config.MAX_DURATION_MS,
      formats: ACCEPTED_FORMATS,
    },
    quota: {
      storageBytes: fastify.config.USER_STORAGE_BYTES,
      pendingSounds: fastify.config.USER_PENDING_SOUNDS,
    },
  };

  fastify.get(
    '/limits',
    {
      schema: {
        operationId: 'getLimits',
        tags: ['meta'],
        summary: 'The limits a client must respect',
        description:
          'User id range, title length, page sizes, the largest upload, the longest sound, the accepted formats and the quota per user (see `GET /me` for your own use of it).',
        response: { 200: reply('The limits, as this API is configured', Type.Ref('Limits')) },
      },
    },
    async (_request, reply) => {
      // They change only when the API is redeployed with other settings.
      reply.header('cache-control', 'public, max-age=300');
      return limits;
    },
  );
};

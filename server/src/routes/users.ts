import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import { errorReplies, reply } from '../schemas/replies.ts';
import type { NewUser } from '../schemas/user.ts';

export const userRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/users',
    {
      config: { rateLimited: 'registrations' },
      schema: {
        operationId: 'createUser',
        tags: ['users'],
        summary: 'Register a user',
        description: 'Creates the user in the user service. Ids are unique.',
        body: Type.Ref('NewUser'),
        response: {
          201: reply('Registered', Type.Ref('User')),
          ...errorReplies(400, 409, 503),
        },
      },
    },
    async (request, reply) => {
      // Validated against NewUser (by reference, so the document names it).
      const { id } = request.body as Static<typeof NewUser>;
      await fastify.userApi.createUser(id);
      return reply.code(201).send({ id });
    },
  );

  fastify.get(
    '/me',
    {
      preHandler: fastify.requireUser,
      schema: {
        operationId: 'getMe',
        tags: ['users'],
        summary: 'Check who you are, and your quota',
        description:
          'Succeeds when `X-User-Id` names a registered user: the way to "log in". Tells what your sounds take of your storage quota and how many wait for processing.',
        response: { 200: reply('You are this registered user', Type.Ref('Me')) },
      },
    },
    async (request) => {
      const id = request.userId as number;
      return { id, ...(await fastify.sounds.quotaOf(id)) };
    },
  );
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorReplies } from '../schemas/common.ts';
import { NewUser } from '../schemas/user.ts';

const users: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Register a user',
        description: 'Creates the user in the user service. Ids are unique.',
        body: NewUser,
        response: { 201: Type.Ref('User'), ...errorReplies(400, 409, 503) },
      },
    },
    async (request, reply) => {
      await fastify.userApi.createUser(request.body.id);
      return reply.code(201).send({ id: request.body.id });
    },
  );

  fastify.get(
    '/me',
    {
      preHandler: fastify.requireUser,
      schema: {
        tags: ['users'],
        summary: 'Check who you are',
        description: 'Succeeds when `X-User-Id` names a registered user: the way to "log in".',
        response: { 200: Type.Ref('User') },
      },
    },
    async (request) => ({ id: request.userId as number }),
  );
};

export default users;

import { HttpError } from '@cloud-sound/service-kit/errors';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorReply, MAX_USER_ID, NewUser, User, UserParams } from './schemas.ts';
import type { UserStore } from './user-store.ts';

export const userRoutes: FastifyPluginAsyncTypebox<{ users: UserStore }> = async (
  app,
  { users },
) => {
  app.get(
    '/user/:user_id',
    {
      schema: {
        tags: ['users'],
        summary: 'Tell whether a user exists',
        params: UserParams,
        response: { 200: User, 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const id = parseUserId(request.params.user_id);
      if (!(await users.exists(id))) {
        throw new HttpError(404, 'USER_NOT_FOUND', `User ${id} not found`);
      }
      return { id };
    },
  );

  app.post(
    '/user',
    {
      schema: {
        tags: ['users'],
        summary: 'Add a user',
        body: NewUser,
        response: { 201: User, 400: ErrorReply, 409: ErrorReply },
      },
    },
    async (request, reply) => {
      const { id } = request.body;
      if (!(await users.create(id))) {
        throw new HttpError(409, 'USER_EXISTS', `User ${id} already exists`);
      }
      return reply.code(201).send({ id });
    },
  );
};

/** The schema allowed only 1 to 10 digits, no leading zero; what is left is the upper bound. */
function parseUserId(raw: string): number {
  const id = Number(raw);
  if (id > MAX_USER_ID) {
    throw new HttpError(400, 'INVALID_USER_ID', `params/user_id must be <= ${MAX_USER_ID}`);
  }
  return id;
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Errors } from '../lib/errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for protected routes: verifies `X-User-Id` with user_api. */
    requireUser(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
  interface FastifyRequest {
    /** The verified user; set by `requireUser`, null on open routes. */
    userId: number | null;
  }
}

export const USER_ID_HEADER = 'x-user-id';
const MAX_USER_ID = 2_147_483_647;

/**
 * Reads a user id exactly as the contract allows: plain decimal, 1..2147483647, no sign,
 * spaces, leading zeros or exponents. A header sent twice arrives joined by ", " and fails too.
 */
export function parseUserId(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  const id = Number(value);
  return id <= MAX_USER_ID ? id : undefined;
}

/**
 * Identity, as the assignment defines it: the client names its numeric user id. This is the one
 * place a real login (session, token) would plug in.
 */
export default fp(
  async (fastify) => {
    fastify.decorateRequest('userId', null);
    fastify.decorate('requireUser', async (request: FastifyRequest) => {
      const header = request.headers[USER_ID_HEADER];
      if (header === undefined) throw new Errors.authRequired();
      const userId = parseUserId(header);
      if (userId === undefined) throw new Errors.invalidUserId();
      if (!(await fastify.userApi.userExists(userId))) throw new Errors.unknownUser(userId);
      request.userId = userId;
    });
  },
  { name: 'auth', dependencies: ['backends'] },
);

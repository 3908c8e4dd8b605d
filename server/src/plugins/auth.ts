import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { USER_ID_RANGE } from '../contract.ts';
import { Errors } from '../lib/errors.ts';
import { errorReplies } from '../schemas/replies.ts';
import { RateLimited } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for protected routes: verifies `X-User-Id` with user_api. */
    requireUser(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /**
     * preHandler for open routes that show their owner more: verifies `X-User-Id` when it is
     * sent (400 when malformed); an unknown user reads as anyone.
     */
    identifyUser(request: FastifyRequest): Promise<void>;
  }
  interface FastifyRequest {
    /** The verified user; set by `requireUser`, null on open routes. */
    userId: number | null;
    /** How long `requireUser` waited for user_api, in ms (for `Server-Timing`); null if it did not ask. */
    userCheckMs: number | null;
  }
}

export const USER_ID_HEADER = 'x-user-id';

/**
 * Reads a user id exactly as the contract allows: plain decimal within USER_ID_RANGE, no sign,
 * spaces, leading zeros or exponents. A header sent twice arrives joined by ", " and fails too.
 */
export function parseUserId(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  const id = Number(value);
  return id <= USER_ID_RANGE.maximum ? id : undefined;
}

/**
 * Identity, as this API defines it: the client names its numeric user id. This is the one
 * place a real login (session, token) would plug in.
 */
export default fp(
  async (fastify) => {
    // Every "no such user" costs the address one of its RATE_LIMIT_FAILED_IDENTITY_CHECKS, so
    // registered ids cannot be enumerated quickly (through /me or any protected route).
    const failedChecks = fastify.createRateLimit({
      max: fastify.config.RATE_LIMIT_FAILED_IDENTITY_CHECKS,
      timeWindow: fastify.config.RATE_LIMIT_WINDOW_MS,
    });

    fastify.decorateRequest('userId', null);
    fastify.decorateRequest('userCheckMs', null);
    fastify.decorate('requireUser', async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers[USER_ID_HEADER];
      if (header === undefined) throw new Errors.authRequired();
      const userId = parseUserId(header);
      if (userId === undefined) throw new Errors.invalidUserId();
      const budget = await failedChecks(request, { increment: false });
      if (!budget.isAllowed && budget.remaining === 0) {
        reply.header('retry-after', String(budget.ttlInSeconds));
        throw new RateLimited('identity checks naming unknown users', `${budget.ttlInSeconds} s`);
      }
      const asked = performance.now();
      const exists = await fastify.userApi.userExists(userId);
      request.userCheckMs = performance.now() - asked;
      if (!exists) {
        await failedChecks(request);
        throw new Errors.unknownUser(userId);
      }
      request.userId = userId;
    });
    fastify.decorate('identifyUser', async (request: FastifyRequest) => {
      const header = request.headers[USER_ID_HEADER];
      if (header === undefined) return;
      const userId = parseUserId(header);
      if (userId === undefined) throw new Errors.invalidUserId();
      if (await fastify.userApi.userExists(userId)) request.userId = userId;
    });

    // A route that runs requireUser is documented as protected, with the answers it may give;
    // every other route as open.
    fastify.addHook('onRoute', (route) => {
      if (!route.schema || route.schema.hide) return;
      if (![route.preHandler].flat().includes(fastify.requireUser)) {
        route.schema = { ...route.schema, security: [] };
        return;
      }
      route.schema = {
        ...route.schema,
        security: [{ userId: [] }],
        response: { ...errorReplies(400, 401, 429, 503), ...(route.schema.response as object) },
      };
    });
  },
  { name: 'auth', dependencies: ['backends', 'rate-limit'] },
);

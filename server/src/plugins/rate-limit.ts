import createError from '@fastify/error';
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { errorReplies, RATE_LIMIT_HEADERS } from '../schemas/replies.ts';

export const RateLimited = createError(
  'RATE_LIMITED',
  'Too many %s from your address; try again in %s',
  429,
);

/** What a route may be rate-limited for: things that cost something real. */
export type RateLimitedAction = 'registrations' | 'uploads';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counts this route's requests against the address's allowance of that action. */
    rateLimited?: RateLimitedAction;
  }
}

function maxPerWindow(action: RateLimitedAction, config: Config): number {
  return action === 'registrations' ? config.RATE_LIMIT_USER_CREATIONS : config.RATE_LIMIT_UPLOADS;
}

/**
 * Per-address rate limits on the routes that declare `config.rateLimited` (registering,
 * uploading), every RATE_LIMIT_WINDOW_MS. The key is
 * the client's address (`request.ip`: the connection's, or behind a proxy named in TRUST_PROXY
 * the one its X-Forwarded-For gives), IPv6 grouped by /64 as one host usually holds a whole /64. Checked in
 * onRequest, before the user is looked up or a byte of the body is read. A 429 carries
 * Retry-After and the usual error body with code RATE_LIMITED. With REDIS_URL the counts live
 * in Redis, shared by every replica (so is `fastify.createRateLimit`'s, auth.ts's failed
 * identity checks: it uses this registration's store); without it, in this process's memory,
 * where N replicas allow N times each limit.
 */
export default fp(
  async (fastify) => {
    const { config } = fastify;

    // A client whose connection is already gone (its socket destroyed, say by a parse error
    // in bytes it sent after this request) has no address to count, and nobody to answer:
    // stop here, before the limiter's key generator fails on the missing `request.ip`.
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.ip === undefined) reply.hijack();
    });

    // Added before the plugin below, so it runs first and the plugin finds `config.rateLimit`.
    fastify.addHook('onRoute', (route) => {
      const action = route.config?.rateLimited;
      if (!action) return;
      const options: RateLimitOptions = {
        max: maxPerWindow(action, config),
        errorResponseBuilder: (_request, context) => new RateLimited(action, context.after),
      };
      route.config = { ...route.config, rateLimit: options };
      if (route.schema?.response) {
        // Every answer carries the limit's state; past it, 429.
        const replies = Object.entries(route.schema.response as Record<string, object>).map(
          ([status, schema]) =>
            Number(status) < 300
              ? [status, { ...schema, headers: { ...RATE_LIMIT_HEADERS, ...headersOf(schema) } }]
              : [status, schema],
        );
        route.schema.response = { ...Object.fromEntries(replies), ...errorReplies(429) };
      }
    });

    await fastify.register(rateLimit, {
      global: false,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      hook: 'onRequest',
      ...(fastify.redis && {
        redis: fastify.redis,
        nameSpace: 'cloud-sound-rl:',
        // Fail open: with Redis down or slow, requests go through uncounted rather than being
        // refused or held. The limits guard against abuse; they are not worth an outage.
        skipOnError: true,
      }),
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'redis'] },
);

function headersOf(schema: object): object {
  return (schema as { headers?: object }).headers ?? {};
}

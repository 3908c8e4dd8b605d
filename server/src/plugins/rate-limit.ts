import createError from '@fastify/error';
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { errorReplies } from '../schemas/common.ts';

export const RateLimited = createError(
  'RATE_LIMITED',
  'Too many %s from your address; try again in %s',
  429,
);

/** The routes that cost something real (an account, stored bytes), with their limit. */
const LIMITS: Record<string, (config: Config) => { max: number; what: string }> = {
  'POST /users': (config) => ({ max: config.RATE_LIMIT_USER_CREATIONS, what: 'registrations' }),
  'POST /sounds': (config) => ({ max: config.RATE_LIMIT_UPLOADS, what: 'uploads' }),
};

function limitOf(route: RouteOptions, config: Config) {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  for (const method of methods) {
    const limit = LIMITS[`${method} ${route.url}`];
    if (limit) return limit(config);
  }
  return undefined;
}

/**
 * Per-address rate limits on registering and uploading, every RATE_LIMIT_WINDOW_MS. The key is
 * the connection's address (`request.ip`: the API does not trust X-Forwarded-For, as clients
 * reach it directly), IPv6 grouped by /64 as one host usually holds a whole /64. Checked in
 * onRequest, before the user is looked up or a byte of the body is read. A 429 carries
 * Retry-After and the usual error body with code RATE_LIMITED. Counts live in this process's
 * memory: N replicas allow N times the limit (a shared store such as Redis would fix that).
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
      const limit = limitOf(route, config);
      if (!limit) return;
      const options: RateLimitOptions = {
        max: limit.max,
        errorResponseBuilder: (_request, context) => new RateLimited(limit.what, context.after),
      };
      route.config = { ...route.config, rateLimit: options };
      if (route.schema?.response) {
        route.schema.response = { ...(route.schema.response as object), ...errorReplies(429) };
      }
    });

    await fastify.register(rateLimit, {
      global: false,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      hook: 'onRequest',
    });
  },
  { name: 'rate-limit', dependencies: ['config'] },
);

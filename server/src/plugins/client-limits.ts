import fp from 'fastify-plugin';
import { Errors } from '../lib/errors.ts';
import { errorReplies } from '../schemas/replies.ts';

/** The kinds of long-running request a route may declare, each limited per client address. */
export type ConcurrencyKind = 'uploads' | 'playbacks';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counts this route's requests against the client's limit of that kind running at once. */
    concurrency?: ConcurrencyKind;
  }
}

/**
 * Per-address limits on uploads and playbacks in flight (CLIENT_MAX_UPLOADS,
 * CLIENT_MAX_PLAYBACKS). Each of those requests holds a file_store connection for as long as
 * its client sends or reads, so one address opening dozens of playbacks it never reads, or
 * trickling dozens of uploads, would otherwise take every connection from everybody else. A
 * request over the limit is answered 429 TOO_MANY_AT_ONCE at once, before anything else.
 */
export default fp(
  async (fastify) => {
    const limits: Record<ConcurrencyKind, number> = {
      uploads: fastify.config.CLIENT_MAX_UPLOADS,
      playbacks: fastify.config.CLIENT_MAX_PLAYBACKS,
    };
    const running: Record<ConcurrencyKind, Map<string, number>> = {
      uploads: new Map(),
      playbacks: new Map(),
    };

    fastify.addHook('onRoute', (route) => {
      if (route.config?.concurrency && route.schema?.response) {
        route.schema.response = { ...(route.schema.response as object), ...errorReplies(429) };
      }
    });

    fastify.addHook('onRequest', async (request, reply) => {
      const kind = request.routeOptions.config.concurrency;
      const address = request.ip;
      // No address: the connection is already gone (see the rate-limit plugin).
      if (!kind || address === undefined) return;
      const counts = running[kind];
      const inFlight = counts.get(address) ?? 0;
      if (inFlight >= limits[kind]) {
        reply.header('retry-after', '1');
        throw new Errors.tooManyAtOnce(kind, limits[kind]);
      }
      counts.set(address, inFlight + 1);
      // 'close' comes once the answer is sent or the connection is lost, whichever is first.
      reply.raw.once('close', () => {
        const left = (counts.get(address) ?? 1) - 1;
        if (left > 0) counts.set(address, left);
        else counts.delete(address);
      });
    });
  },
  { name: 'client-limits', dependencies: ['config', 'errors'] },
);

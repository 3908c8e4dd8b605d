import fp from 'fastify-plugin';
import { type ClientSlots, memorySlots, redisSlots } from '../lib/client-slots.ts';
import { Errors } from '../lib/errors.ts';
import { errorReplies } from '../schemas/replies.ts';

/** The kinds of long-running request a route may declare, each limited per client address. */
export type ConcurrencyKind = 'uploads' | 'playbacks' | 'events';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counts this route's requests against the client's limit of that kind running at once. */
    concurrency?: ConcurrencyKind;
  }
}

/** How the 429's message names each kind. */
const NAMES: Record<ConcurrencyKind, string> = {
  uploads: 'uploads',
  playbacks: 'playbacks',
  events: 'event streams',
};

/**
 * How long a slot in Redis outlives its last refresh (every third of it). A replica killed
 * without giving its slots back frees them after this long, so its clients are not locked out
 * for longer; and it spans two missed refreshes, so a Redis pause of a few seconds does not
 * drop the slot of a request still running.
 */
const SLOT_TTL_MS = 30_000;

/**
 * Per-address limits on uploads, playbacks and live event streams in flight
 * (CLIENT_MAX_UPLOADS, CLIENT_MAX_PLAYBACKS, CLIENT_MAX_EVENT_STREAMS). Each of those requests
 * holds a connection for as long as its client sends or reads (a file_store connection for a
 * transfer), so one address opening dozens of playbacks it never reads, or trickling dozens of
 * uploads, would otherwise take every connection from everybody else. A request over the limit
 * is answered 429 TOO_MANY_AT_ONCE at once, before anything else. With REDIS_URL the count is
 * shared by every replica (lib/client-slots.ts), and Redis failing lets requests through
 * uncounted; without it each process counts its own.
 */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    const limits: Record<ConcurrencyKind, number> = {
      uploads: config.CLIENT_MAX_UPLOADS,
      playbacks: config.CLIENT_MAX_PLAYBACKS,
      events: config.CLIENT_MAX_EVENT_STREAMS,
    };
    const slots: ClientSlots = fastify.redis
      ? redisSlots(fastify.redis, { ttlMs: SLOT_TTL_MS, log: fastify.log })
      : memorySlots();
    fastify.addHook('onClose', async () => slots.close());

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
      const release = await slots.take(`${kind}:${address}`, limits[kind]);
      if (!release) {
        reply.header('retry-after', '1');
        throw new Errors.tooManyAtOnce(NAMES[kind], limits[kind]);
      }
      // 'close' comes once the answer is sent or the connection is lost, whichever is first;
      // it may have come while the slot was being taken.
      if (reply.raw.closed) release();
      else reply.raw.once('close', release);
    });
  },
  { name: 'client-limits', dependencies: ['config', 'errors', 'redis'] },
);

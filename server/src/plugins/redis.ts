import { once } from 'node:events';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

/** `off`: no REDIS_URL, every count is this process's own. */
export type RedisState = 'ok' | 'unavailable' | 'off';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Redis (or Valkey) every replica counts its limits in; null without REDIS_URL. */
    redis: Redis | null;
    /** Whether Redis answers a PING now (readiness; informational, limits fail open). */
    redisState(): Promise<RedisState>;
  }
}

/**
 * Short on purpose: every limited request waits for one command, and with Redis gone it is let
 * through uncounted (fail open) rather than held. Redis answers in well under a millisecond.
 */
const CONNECT_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 500;
/** Reconnecting never stops; the pause grows by this much per attempt, up to the maximum. */
const RECONNECT_STEP_MS = 100;
const RECONNECT_MAX_MS = 2_000;

/**
 * One Redis client for the process when REDIS_URL is set, shared by the rate limits and the
 * per-client limits. Commands are never queued while it is disconnected (they fail at once
 * and the limits let requests through); it reconnects forever in the background. Its state is
 * logged once per change, not once per attempt.
 */
export default fp(
  async (fastify) => {
    const url = fastify.config.REDIS_URL;
    if (!url) {
      fastify.decorate('redis', null);
      fastify.decorate('redisState', async () => 'off' as const);
      return;
    }

    const redis = new Redis(url, {
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      enableOfflineQueue: false,
      // A command caught by a dropped connection fails at once instead of waiting to be resent.
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
    });
    // The address only: the URL may carry a password.
    const log = fastify.log.child({ redis: new URL(url).host });
    let up: boolean | undefined;
    let closing = false;
    redis.on('ready', () => {
      if (up !== true) log.info('redis connected: limits count across replicas');
      up = true;
    });
    // Every failed attempt emits 'error'; only the first after a change is news.
    const down = (error?: Error) => {
      if (up !== false && !closing)
        log.warn({ err: error }, 'redis unavailable: limits let requests through');
      up = false;
    };
    redis.on('error', down);
    redis.on('close', () => {
      if (up) down();
    });

    // Connected before the first request where possible, so that it already counts; a Redis
    // that is down holds the start up for CONNECT_TIMEOUT_MS at most (refused: not at all).
    await once(redis, 'ready', { signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) }).catch(() => {});

    fastify.decorate('redis', redis);
    fastify.decorate('redisState', async () => {
      if (redis.status !== 'ready') return 'unavailable' as const;
      return redis.ping().then(
        () => 'ok' as const,
        () => 'unavailable' as const,
      );
    });
    fastify.addHook('onClose', async () => {
      closing = true;
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    });
  },
  { name: 'redis', dependencies: ['config'] },
);

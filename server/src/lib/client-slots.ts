import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis, Result } from 'ioredis';

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

/** Slots per key (a kind of request and a client address), at most `limit` taken at once. */
export interface ClientSlots {
  /** Takes a slot: its release, or null when `limit` are taken. */
  take(key: string, limit: number): Promise<Release | null>;
  /** Stops keeping the slots still held alive (shutdown). */
  close(): void;
}

/** This process's own count: right for one process, N times the limit with N replicas. */
export function memorySlots(): ClientSlots {
  const taken = new Map<string, number>();
  return {
    async take(key, limit) {
      const count = taken.get(key) ?? 0;
      if (count >= limit) return null;
      taken.set(key, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (taken.get(key) ?? 1) - 1;
        if (left > 0) taken.set(key, left);
        else taken.delete(key);
      };
    },
    close() {},
  };
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    takeClientSlot(
      key: string,
      slot: string,
      limit: number,
      ttlMs: number,
    ): Result<number, Context>;
    refreshClientSlot(key: string, slot: string, ttlMs: number): Result<number, Context>;
  }
}

/** Every replica's slots in Redis are under this prefix, one sorted set per kind and address. */
const KEY_PREFIX = 'cloud-sound-slots:';

// Scores are expiry times on Redis's clock (TIME), so the replicas' clocks never have to agree.
const NOW_MS = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/** Drops expired slots, then adds ARGV[1] unless ARGV[2] are held; 1 if it was added. */
const TAKE = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Moves a held slot's expiry on (XX: one already dropped is not taken again behind the limit's back). */
const REFRESH = `${NOW_MS}
local kept = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return kept`;

/**
 * Slots that every replica counts together: a sorted set per key whose members are the slots
 * held, scored by when each expires. Taking one is a Lua script, so no two replicas can both
 * take the last slot. While a slot is held its expiry is moved on every third of `ttlMs`; a
 * process killed without giving its slots back loses them within `ttlMs`. Redis failing
 * (down, or slower than the client's command timeout) lets the request through uncounted,
 * logged once when it starts and once when it ends.
 */
export function redisSlots(
  redis: Redis,
  options: { ttlMs: number; log: FastifyBaseLogger },
): ClientSlots {
  const { ttlMs, log } = options;
  redis.defineCommand('takeClientSlot', { numberOfKeys: 1, lua: TAKE });
  redis.defineCommand('refreshClientSlot', { numberOfKeys: 1, lua: REFRESH });

  let failing = false;
  const answered = () => {
    if (failing) log.info('per-client limits count in redis again');
    failing = false;
  };
  const failed = (error: unknown) => {
    if (!failing) log.warn({ err: error }, 'redis failed: per-client limits let requests through');
    failing = true;
  };

  /** Slot id → its key, for every slot this process holds. */
  const held = new Map<string, string>();
  const refresh = async () => {
    if (held.size === 0) return;
    const pipeline = redis.pipeline();
    for (const [slot, key] of held) pipeline.refreshClientSlot(key, slot, ttlMs);
    try {
      const results = (await pipeline.exec()) ?? [];
      const error = results.find(([failure]) => failure)?.[0];
      if (error) failed(error);
      else answered();
    } catch (error) {
      failed(error);
    }
  };
  const timer = setInterval(refresh, ttlMs / 3);
  timer.unref();

  return {
    async take(key, limit) {
      const fullKey = KEY_PREFIX + key;
      const slot = randomUUID();
      let taken: number;
      try {
        taken = await redis.takeClientSlot(fullKey, slot, limit, ttlMs);
      } catch (error) {
        failed(error);
        return () => {};
      }
      answered();
      if (taken === 0) return null;
      held.set(slot, fullKey);
      return () => {
        if (!held.delete(slot)) return;
        // Not given back (Redis away): it expires within ttlMs, as a crashed process's would.
        redis.zrem(fullKey, slot).catch(() => {});
      };
    },
    close() {
      clearInterval(timer);
    },
  };
}

import { LRUCache } from 'lru-cache';

/**
 * A short memory of what the hot reads found (listing pages, already serialised; ready sounds
 * by id), so a page every visitor loads, or a sound a player seeks through, costs one query per
 * `ttlMs` instead of one per request. Concurrent misses for the same key share one query.
 *
 * It never holds truth: the database does. An entry lives at most `ttlMs`, and this replica
 * forgets every entry the moment it publishes or deletes a sound (`invalidate`), so a client
 * always sees its own writes at once; another replica's writes show up within `ttlMs`.
 * Forgetting works by a generation number in the key rather than by clearing: a query that
 * started before the write can only fill an entry nobody asks for any more.
 *
 * It is an optimisation, never a source of errors: whatever goes wrong inside the cache (an
 * entry evicted while its query runs, say), the answer is the query's own, success or failure.
 */
export interface ReadCache<V extends {}> {
  /** What is remembered for `key`, or `read()`'s result; `undefined` is never remembered. */
  get(key: string, read: () => Promise<V | undefined>): Promise<V | undefined>;
  /** A sound appeared or disappeared: no request may be answered from an older entry. */
  invalidate(): void;
}

/** Marks a failure of the query itself, so it is passed on rather than retried. */
class ReadFailed {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

export function createReadCache<V extends {}>(options: {
  ttlMs: number;
  maxEntries: number;
}): ReadCache<V> {
  if (options.ttlMs <= 0) return { get: (_key, read) => read(), invalidate() {} };

  let generation = 0;
  const entries = new LRUCache<string, V, () => Promise<V | undefined>>({
    max: options.maxEntries,
    ttl: options.ttlMs,
    // A query whose entry is evicted (many distinct pages at once) still answers its callers.
    ignoreFetchAbort: true,
    fetchMethod: (_key, _stale, { context: read }) =>
      read().catch((error: unknown) => {
        throw new ReadFailed(error);
      }),
  });
  return {
    async get(key, read) {
      try {
        return await entries.fetch(`${generation}:${key}`, { context: read });
      } catch (error) {
        if (error instanceof ReadFailed) throw error.cause;
        // The cache itself failed: answer from the database.
        return read();
      }
    },
    invalidate() {
      generation += 1;
    },
  };
}

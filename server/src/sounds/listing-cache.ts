import { LRUCache } from 'lru-cache';

/**
 * A short memory of listing pages, already serialised, so the page every visitor loads costs
 * one query per `ttlMs` instead of one per request; concurrent misses for the same page share
 * one query.
 *
 * It never holds truth: the database does. An entry lives at most `ttlMs`, and this replica
 * forgets every entry the moment it publishes or deletes a sound (`invalidate`), so a client
 * always sees its own writes at once; another replica's writes show up within `ttlMs`.
 * Forgetting works by a generation number in the key rather than by clearing: a query that
 * started before the write can only fill an entry nobody asks for any more.
 */
export interface ListingCache {
  /** The cached JSON for `page`, or `build()`'s result, remembered for the next requests. */
  get(page: ListingPageKey, build: () => Promise<string>): Promise<string>;
  /** A sound appeared or disappeared: no request may be answered from an older entry. */
  invalidate(): void;
}

export interface ListingPageKey {
  limit: number;
  cursor?: string | undefined;
  userId?: number | undefined;
}

export function createListingCache(options: { ttlMs: number; maxPages: number }): ListingCache {
  if (options.ttlMs <= 0) return { get: (_page, build) => build(), invalidate() {} };

  let generation = 0;
  const pages = new LRUCache<string, string, () => Promise<string>>({
    max: options.maxPages,
    ttl: options.ttlMs,
    fetchMethod: (_key, _stale, { context: build }) => build(),
  });
  return {
    async get(page, build) {
      const key = `${generation}:${page.limit}:${page.userId ?? ''}:${page.cursor ?? ''}`;
      return (await pages.fetch(key, { context: build })) ?? build();
    },
    invalidate() {
      generation += 1;
    },
  };
}

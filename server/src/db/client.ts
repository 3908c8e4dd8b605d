import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { pgliteDrizzle, postgresDrizzle } from './orm.ts';
import * as schema from './schema.ts';
import { watchedSocketFactory } from './watched-socket.ts';

/** The same Drizzle API whichever driver sits underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  /** `postgres` for a server reached by DATABASE_URL, `pglite` for the embedded one. */
  driver: 'postgres' | 'pglite';
  /**
   * Calls `onNotice` with the payload of every NOTIFY on `channel`, from any process on the
   * database, once its transaction has committed; resolves once listening. A Postgres
   * connection that drops is opened and listened on again by the driver: notices sent
   * meanwhile are lost, and `onListening`, called each time listening starts, is where a
   * listener reads back what it missed.
   */
  listen(
    channel: string,
    onNotice: (payload: string) => void,
    onListening?: () => void,
  ): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../drizzle', import.meta.url));

// Any constant works; it only has to be the same for every replica of the API.
const MIGRATION_LOCK_ID = 72_110_601;

/**
 * Opens the database and applies pending migrations. With a Postgres server, replicas starting
 * together take turns through an advisory lock, so a migration never runs twice at once.
 */
export async function openDatabase(options: {
  databaseUrl?: string | undefined;
  dataDir: string;
  /**
   * Longest wait for a Postgres server: to connect, and for an answer while a query waits
   * (then the query fails, see isDatabaseUnavailable). Unset: no client-side deadline.
   */
  timeoutMs?: number | undefined;
  /** The migrations to apply (the repository's `drizzle/` unless a test upgrades in steps). */
  migrationsDir?: string;
}): Promise<DatabaseHandle> {
  const migrations = options.migrationsDir ?? MIGRATIONS_DIR;
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.timeoutMs, migrations);
  return openPglite(join(options.dataDir, 'pglite'), migrations);
}

async function openPostgres(
  url: string,
  timeoutMs: number | undefined,
  migrations: string,
): Promise<DatabaseHandle> {
  // One dedicated connection: an advisory lock belongs to the session that took it.
  const { drizzle, migrate } = postgresDrizzle();
  const migrator = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrator`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migrate(drizzle(migrator), { migrationsFolder: migrations });
  } finally {
    await migrator.end({ timeout: 5 });
  }
  const client = postgres(url, {
    ...poolOptions(url, timeoutMs),
    onnotice: () => {},
    // No column or parameter is a Postgres array, so the array types postgres-js looks up on
    // every new connection are never used; and that lookup, failing on a connection that drops
    // just then (a restarting database), is a promise postgres-js leaves unhandled.
    fetch_types: false,
  });
  return {
    db: drizzle(client, { schema }) as unknown as Database,
    driver: 'postgres',
    // postgres-js listens on a connection of its own, outside the query pool.
    listen: async (channel, onNotice, onListening) => {
      await client.listen(channel, onNotice, onListening);
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * The query pool's options. With a deadline, a dead or silent server fails a query within
 * `timeoutMs` instead of hanging it: connect_timeout bounds a new connection, the watched
 * socket bounds the wait for an answer, and statement_timeout has the server give up on a slow
 * query too (its locks go with it).
 */
function poolOptions(url: string, timeoutMs: number | undefined) {
  // The URL may size the pool (`?max=1`, as the tests' single-session PGlite server needs).
  const size = new URL(url).searchParams.has('max') ? {} : { max: 10 };
  if (timeoutMs === undefined) return size;
  return {
    ...size,
    connect_timeout: timeoutMs / 1000,
    connection: { statement_timeout: timeoutMs },
    socket: watchedSocketFactory(timeoutMs),
    // postgres-js waits before reconnecting after failures, up to 20 s: longer than any
    // request may wait. A refused connection fails fast anyway, so reconnect at once.
    backoff: false,
  };
}

async function openPglite(dir: string, migrations: string): Promise<DatabaseHandle> {
  await mkdir(dir, { recursive: true });
  // Loaded only here: a server that uses Postgres never pays for the embedded database.
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle, migrate } = pgliteDrizzle();
  const client = await PGlite.create(dir);
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: migrations });
  return {
    db: db as unknown as Database,
    driver: 'pglite',
    // In process: nothing to reconnect, so listening starts once.
    listen: async (channel, onNotice, onListening) => {
      await client.listen(channel, onNotice);
      onListening?.();
    },
    close: () => client.close(),
  };
}

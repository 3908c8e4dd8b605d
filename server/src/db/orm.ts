import { createRequire } from 'node:module';

/*
 * Drizzle, loaded through its CommonJS build. Its ES-module build is a graph of several hundred
 * files re-exporting one another (`export *`); linking that graph makes V8 allocate memory it
 * frees at once but keeps resident, more than doubling the API's idle RSS (measured in
 * bench/README.md, "Memory"). The CommonJS build is the same code.
 * Runtime values come from here; types may still be imported from 'drizzle-orm' directly.
 */
const require = createRequire(import.meta.url);

export const {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  inArray,
  isNull,
  lt,
  lte,
  max,
  min,
  ne,
  or,
  sql,
} = require('drizzle-orm') as typeof import('drizzle-orm');

export const {
  bigint,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  text,
  timestamp,
  uuid,
} = require('drizzle-orm/pg-core') as typeof import('drizzle-orm/pg-core');

/** Drizzle over postgres.js, for a Postgres server. */
export function postgresDrizzle() {
  return {
    drizzle: (require('drizzle-orm/postgres-js') as typeof import('drizzle-orm/postgres-js'))
      .drizzle,
    migrate: (
      require('drizzle-orm/postgres-js/migrator') as typeof import('drizzle-orm/postgres-js/migrator')
    ).migrate,
  };
}

/** Drizzle over PGlite, the embedded database; loaded only when it is used. */
export function pgliteDrizzle() {
  return {
    drizzle: (require('drizzle-orm/pglite') as typeof import('drizzle-orm/pglite')).drizzle,
    migrate: (
      require('drizzle-orm/pglite/migrator') as typeof import('drizzle-orm/pglite/migrator')
    ).migrate,
  };
}

import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** Where a test that cannot run on PGlite looks for Postgres when TEST_DATABASE_URL is unset. */
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A database of the test run's own. With TEST_DATABASE_URL set (CI does), a fresh database is
 * created on that Postgres server and dropped afterwards; otherwise `url` is undefined and the
 * API falls back to an embedded PGlite under its temporary DATA_DIR. A test that needs Postgres
 * itself (several API processes on one database) asks for `postgres`: without
 * TEST_DATABASE_URL, it gets a database on the local server, or an error saying what to set.
 */
export async function createTestDatabase(options: { postgres?: boolean } = {}): Promise<{
  url: string | undefined;
  drop(): Promise<void>;
}> {
  const serverUrl =
    process.env.TEST_DATABASE_URL || (options.postgres ? LOCAL_POSTGRES : undefined);
  if (!serverUrl) return { url: undefined, drop: async () => {} };

  const name = `cloud_sound_test_${randomBytes(6).toString('hex')}`;
  try {
    await withAdmin(serverUrl, (sql) => sql.unsafe(`create database ${name}`));
  } catch (error) {
    throw new Error(
      `this test needs a Postgres server (PGlite is one process's database): none answered at ${new URL(serverUrl).host} (${(error as Error).message}); start one, or set TEST_DATABASE_URL`,
    );
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(serverUrl, (sql) => sql.unsafe(`drop database if exists ${name} with (force)`)),
  };
}

async function withAdmin(url: string, run: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await run(sql);
  } finally {
    await sql.end();
  }
}

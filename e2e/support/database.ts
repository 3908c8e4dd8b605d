import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/**
 * The run's own database. With TEST_DATABASE_URL set (CI sets it), a fresh database is created
 * on that Postgres server and dropped after the run; otherwise `url` is undefined and the API
 * keeps an embedded PGlite database in its temporary DATA_DIR.
 */
export async function createRunDatabase(): Promise<{
  url: string | undefined;
  drop(): Promise<void>;
}> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return { url: undefined, drop: async () => {} };

  const name = `cloud_sound_e2e_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (sql) => sql.unsafe(`create database ${name}`));
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

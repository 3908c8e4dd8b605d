// The benchmark's database: a fresh database on the Postgres server named by DATABASE_URL
// (dropped afterwards), or the API's embedded PGlite under the run's data folder. The listing
// rows are inserted with one SQL statement before the API starts: PGlite allows one process.
import { randomBytes } from 'node:crypto';
import { openDatabase } from '@cloud-sound/server/db';
import postgres from 'postgres';

export interface BenchDatabase {
  /** What the tables say about it. */
  label: string;
  /** For the API's DATABASE_URL; undefined means PGlite. */
  url: string | undefined;
  /** A database of its own for one more start of the system (the start-up section). */
  another(): Promise<string | undefined>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(serverUrl: string | undefined): Promise<BenchDatabase> {
  if (!serverUrl) {
    return {
      label: 'PGlite (embedded, DATABASE_URL unset)',
      url: undefined,
      another: async () => undefined,
      drop: async () => {},
    };
  }
  const created: string[] = [];
  const create = async () => {
    const name = `cloud_sound_bench_${randomBytes(5).toString('hex')}`;
    await asAdmin(serverUrl, (sql) => sql.unsafe(`create database ${name}`));
    created.push(name);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const url = await create();
  const server = new URL(serverUrl);
  return {
    label: `Postgres server at ${server.host} (fresh database ${new URL(url).pathname.slice(1)})`,
    url,
    another: create,
    drop: async () => {
      for (const name of created) {
        await asAdmin(serverUrl, (sql) =>
          sql.unsafe(`drop database if exists ${name} with (force)`),
        );
      }
    },
  };
}

/**
 * Applies the API's migrations (through the API's own code) and inserts `count` ready sounds,
 * one second apart, spread over 100 uploaders: what the listing reads.
 */
export async function seedSounds(options: {
  databaseUrl: string | undefined;
  apiDataDir: string;
  count: number;
}): Promise<void> {
  const handle = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.apiDataDir,
  });
  try {
    await handle.db.execute(`
      insert into sounds (id, user_id, title, filename, content_type, size, duration_ms,
                          storage_key, status, created_at, updated_at)
      select gen_random_uuid(), 1 + g % 100, 'Seeded sound ' || g, 'seeded-' || g || '.wav',
             'audio/wav', 1048576, 5944, gen_random_uuid(), 'ready',
             now() - g * interval '1 second', now()
      from generate_series(1, ${Number(options.count)}) as g`);
    // Planner statistics, as a database that has run for a while would have them.
    await handle.db.execute('analyze sounds');
  } finally {
    await handle.close();
  }
}

async function asAdmin(url: string, run: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await run(sql);
  } finally {
    await sql.end();
  }
}

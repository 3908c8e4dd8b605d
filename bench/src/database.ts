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

/** The words seeded titles are made of: `piano` is in one title of ten, like a common word. */
const TITLE_WORDS = [
  'rain',
  'piano',
  'forest',
  'night',
  'city',
  'ocean',
  'drum',
  'voice',
  'wind',
  'bird',
];
const TITLE_KINDS = [
  'sketch',
  'loop',
  'field',
  'take',
  'demo',
  'walk',
  'study',
  'mix',
  'room',
  'song',
  'dawn',
  'noise',
];

/**
 * Applies the API's migrations (through the API's own code) and inserts `count` ready,
 * processed sounds, one second apart, spread over `uploaders` users: what the listings read.
 * Titles are two words and a number ("piano loop 4242"), folded into `search_text` as the API
 * folds them, so a search finds what it would in a real catalogue: a common word in one sound of
 * ten, a number in a handful.
 */
export async function seedSounds(options: {
  databaseUrl: string | undefined;
  apiDataDir: string;
  count: number;
  uploaders: number;
}): Promise<void> {
  const handle = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.apiDataDir,
  });
  const words = (list: string[]) => `array[${list.map((word) => `'${word}'`).join(',')}]`;
  try {
    await handle.db.execute(`
      insert into sounds (id, user_id, title, filename, content_type, size, duration_ms,
                          storage_key, status, created_at, updated_at, search_text, processing,
                          stream_key, stream_content_type, stream_size, waveform_key)
      select id, user_id, title, filename, 'audio/mpeg', 3840000, 240000, storage_key, 'ready',
             created_at, created_at,
             trim(regexp_replace(lower(title || ' ' || filename), '[^a-z0-9]+', ' ', 'g')),
             'ready', storage_key, 'audio/mpeg', 3840000, gen_random_uuid()
      from (
        select gen_random_uuid() as id, gen_random_uuid() as storage_key,
               1 + ((g::bigint * 7919) % ${Number(options.uploaders)})::int as user_id,
               (${words(TITLE_WORDS)})[1 + g % ${TITLE_WORDS.length}] || ' ' ||
               (${words(TITLE_KINDS)})[1 + (g / ${TITLE_WORDS.length}) % ${TITLE_KINDS.length}] || ' ' || g as title,
               'take-' || g || '.mp3' as filename,
               now() - g * interval '1 second' as created_at
        from generate_series(1, ${Number(options.count)}) as g
      ) as seeded`);
    // Planner statistics, as a database that has run for a while would have them.
    await handle.db.execute('vacuum analyze sounds');
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

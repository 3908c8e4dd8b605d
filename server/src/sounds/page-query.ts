import type { SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { sql } from '../db/orm.ts';
import type { CursorPosition } from './cursor.ts';

/**
 * The listing's query. Postgres writes each sound as the API shows it (soundPresenter's fields,
 * in the wire's order and formats) and joins a page into one text, so the API passes the JSON
 * through instead of parsing 51 rows, mapping them into objects, presenting them and
 * serialising them again: that was most of a cache-off page's CPU (bench/README.md, section 6).
 * server/test/page-query.test.ts holds it to the presenter's bytes.
 */

export interface ListPageOptions {
  limit: number;
  userId?: number | undefined;
  /** A `to_tsquery('simple', …)` text (see prefixQuery). */
  search?: string | undefined;
  after?: CursorPosition | undefined;
  /** Where sounds' URLs start, ending in `/sounds/` (see soundsUrlOf). */
  soundsUrl: string;
}

export interface ListedPage {
  /** The page's sounds as JSON objects separated by commas, without the brackets. */
  items: string;
  /** Where the page ended, when another page follows. */
  next: CursorPosition | undefined;
}

/** Newest first, optionally one uploader's and matching a search. */
export async function listPageJson(db: Database, options: ListPageOptions): Promise<ListedPage> {
  const { limit, userId, search, after, soundsUrl } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`invalid page size ${limit}`);
  const query = preparedQuery(db, variantOf(userId, search, after), limit);
  const [page] = await query.execute({
    limit,
    userId,
    search,
    afterTime: after?.createdAt.toISOString(),
    afterId: after?.id,
    // As it is written inside a JSON string.
    soundsUrl: JSON.stringify(soundsUrl).slice(1, -1),
  });
  // An aggregate without a GROUP BY always answers one row.
  if (!page) throw new Error('the listing query returned no row');
  return {
    items: page.items,
    next:
      page.nextTime !== null && page.nextId !== null
        ? { createdAt: new Date(page.nextTime), id: page.nextId }
        : undefined,
  };
}

/** A time as `Date.prototype.toISOString` writes it (created_at keeps milliseconds only). */
const isoTime = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One sound as the presenter shows it (`Sound` of schemas/sound.ts), from the row `s`: text
 * joined by hand, which costs Postgres less than half of what `row_to_json` or
 * `json_build_object` do (measured on the bench's catalogue; the latter also puts spaces
 * around every colon). Texts a user chose go through `to_json` (JSON's escaping, as
 * JSON.stringify does it); ids, numbers and the `processing` state (a CHECKed word) need none;
 * the URLs' start is a parameter, escaped by the API. processingError is null: a listing has
 * no viewer, so nobody sees why a sound failed here. Loudness is measured in tenths of a dB
 * between −70 and a few dB above 0, where a `real`'s text is the number JavaScript writes once
 * `+ 0` has turned a −0 (ffmpeg's "-0.0") into 0.
 */
const soundJson = sql`'{"id":"' || s.id
  || '","title":' || to_json(s.title)
  || ',"filename":' || to_json(s.filename)
  || ',"contentType":' || to_json(s.content_type)
  || ',"size":' || s.size
  || ',"durationMs":' || coalesce(s.duration_ms::text, 'null')
  || ',"userId":' || s.user_id
  || ',"createdAt":"' || ${isoTime(sql`s.created_at`)}
  || '","audioUrl":"' || ${sql.placeholder('soundsUrl')}::text || s.id || '/audio'
  || '","processing":"' || s.processing
  || '","processingError":null'
  || ',"waveformUrl":' || case when s.processing = 'ready'
    then '"' || ${sql.placeholder('soundsUrl')}::text || s.id || '/waveform"' else 'null' end
  || ',"streamUrl":' || case when s.processing = 'ready'
    then '"' || ${sql.placeholder('soundsUrl')}::text || s.id || '/stream"' else 'null' end
  || ',"loudness":' || case
    when s.processing = 'ready' and s.loudness_lufs is not null and s.true_peak_dbtp is not null
    then '{"integratedLufs":' || (s.loudness_lufs + 0::real)
      || ',"truePeakDbtp":' || (s.true_peak_dbtp + 0::real) || '}'
    else 'null' end
  || '}'`;

type Variant = `${'all' | 'byUser'}${'' | 'Matching'}${'' | 'After'}`;

function variantOf(
  userId: number | undefined,
  search: string | undefined,
  after: CursorPosition | undefined,
): Variant {
  return `${userId === undefined ? 'all' : 'byUser'}${search === undefined ? '' : 'Matching'}${after === undefined ? '' : 'After'}`;
}

/** The rows a variant lists; each filter matches an index (see db/schema.ts). */
function conditionsOf(variant: Variant): SQL {
  const conditions = [sql`s.status = 'ready'`];
  if (variant.startsWith('byUser')) {
    conditions.push(sql`s.user_id = ${sql.placeholder('userId')}::int`);
  }
  if (variant.includes('Matching')) {
    conditions.push(
      sql`s.search_vector @@ to_tsquery('simple', ${sql.placeholder('search')}::text)`,
    );
  }
  if (variant.endsWith('After')) {
    conditions.push(
      sql`(s.created_at, s.id) < (${sql.placeholder('afterTime')}::timestamptz, ${sql.placeholder('afterId')}::uuid)`,
    );
  }
  return sql.join(conditions, sql` and `);
}

/**
 * Built once per database, variant and page size: building a Drizzle query costs more CPU than
 * Postgres spends answering it. The page size is written into the statement because Postgres
 * cannot plan a LIMIT it does not know: it would plan every execution again, which cost more
 * than the rest of the query. A search keeps it a parameter for that very reason: how to find
 * the newest matches depends on the words (a common one: walk the newest first; a rare one: its
 * index), so each search is planned for its own.
 *
 * One row more than asked tells whether another page follows; the cursor is then the page's
 * last row.
 */
function prepareQuery(db: Database, variant: Variant, pageSize: number) {
  const limit = variant.includes('Matching')
    ? sql`${sql.placeholder('limit')}::int`
    : sql.raw(String(pageSize));
  const listed = sql`
    select ${soundJson} as json, s.created_at, s.id
    from sounds s
    where ${conditionsOf(variant)}
    order by s.created_at desc, s.id desc
    limit ${limit} + 1`;
  const numbered = sql`(
    select row_number() over (order by listed.created_at desc, listed.id desc) as n, listed.*
    from (${listed}) listed
  ) page`;
  return db
    .select({
      items: sql<string>`coalesce(string_agg(page.json, ',' order by page.n) filter (where page.n <= ${limit}), '')`,
      nextTime: sql<string | null>`case when count(*) > ${limit}
        then max(${isoTime(sql`page.created_at`)}) filter (where page.n = ${limit}) end`,
      nextId: sql<string | null>`case when count(*) > ${limit}
        then max(page.id::text) filter (where page.n = ${limit}) end`,
    })
    .from(numbered)
    .prepare(`list_sounds_${variant}${variant.includes('Matching') ? '' : `_${pageSize}`}`);
}

type PageQuery = ReturnType<typeof prepareQuery>;

/** Prepared as first asked for: page sizes are 1–100, and clients use one or two of them. */
const prepared = new WeakMap<Database, Map<string, PageQuery>>();

function preparedQuery(db: Database, variant: Variant, pageSize: number): PageQuery {
  let queries = prepared.get(db);
  if (!queries) {
    queries = new Map();
    prepared.set(db, queries);
  }
  const key = variant.includes('Matching') ? variant : `${variant}:${pageSize}`;
  let query = queries.get(key);
  if (!query) {
    query = prepareQuery(db, variant, pageSize);
    queries.set(key, query);
  }
  return query;
}

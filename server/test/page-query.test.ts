import { randomUUID } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import { and, desc, eq, sql } from '../src/db/orm.ts';
import { type SoundRow, soundColumns, soundsTable } from '../src/db/schema.ts';
import { encodeCursor } from '../src/sounds/cursor.ts';
import { listPageJson } from '../src/sounds/page-query.ts';
import { soundPresenter, soundsUrlOf } from '../src/sounds/present.ts';
import { searchTextOf } from '../src/sounds/search-text.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

/**
 * The listing's JSON is written by Postgres (sounds/page-query.ts); the presenter still shows
 * single sounds. Both must give the same bytes for the same rows: here rows of every shape the
 * API can store, listed through the real query and through HTTP, against the presenter's
 * objects serialised by JSON.stringify (which writes these values as the routes' serializer
 * does). On PGlite, or on Postgres with TEST_DATABASE_URL.
 */

let system: TestSystem;
let db: Database;
const PUBLIC_URL = 'http://cloud-sound.test';

/** The uploader whose sounds these are; 1, so a position on a page can equal it. */
const UPLOADER = 1;
/** Another uploader, whose sounds must not show in UPLOADER's listing. */
const NEIGHBOUR = 2;
/** A word in a few titles only. */
const RARE_WORD = 'zebrafinch';

const at = (iso: string) => new Date(iso);

/** Every field the wire shows, in the shapes the API stores (newest first). */
const shapes: Array<
  Partial<Omit<typeof soundsTable.$inferInsert, 'truePeakDbtp'>> & {
    title: string;
    truePeakDbtp?: number | null | SQL;
  }
> = [
  {
    title: 'Morning birds',
    processing: 'ready',
    loudnessLufs: -18.4,
    truePeakDbtp: -1.2,
    durationMs: 30_000,
    size: 5_292_044,
  },
  // Second on the page (index 1, as UPLOADER is 1): a failed sound shows no reason in a list.
  { title: 'Broken upload', processing: 'failed', processingError: 'too-long' },
  { title: 'An old failure', processing: 'failed', processingError: 'no-longer-a-reason' },
  {
    title: `Café ☕ 音楽 🎹 e\u0301 עברית ${RARE_WORD}`,
    filename: 'a "quoted" \\ back\\slash </script>.wav',
    processing: 'ready',
    loudnessLufs: -23,
    // ffmpeg prints "-0.0": stored as −0 (written as SQL: a driver sends -0 as "0"), which
    // JavaScript writes as 0.
    truePeakDbtp: sql`'-0'::real`,
  },
  {
    title: `tab\there, controls \u0001\u001f\u007f, separators \u2028\u2029 ${RARE_WORD}`,
    filename: 'line\nbreak.mp3',
    processing: 'pending',
    // Measured but not ready: not shown.
    loudnessLufs: -14.1,
    truePeakDbtp: 0.3,
    contentType: 'application/octet-stream',
    durationMs: null,
  },
  { title: 'Only loudness, no peak', processing: 'ready', loudnessLufs: -9.9, truePeakDbtp: null },
  {
    title: 'Beyond four gigabytes',
    processing: 'ready',
    size: 5_000_000_000,
    durationMs: 2_147_483_647,
    loudnessLufs: -69.9,
    truePeakDbtp: 6.1,
  },
  { title: '', filename: '', processing: 'ready' },
];

beforeAll(async () => {
  system = await startSystem();
  db = system.api.db as Database;
  // One second apart, with milliseconds; the last two share a time, so the id breaks the tie.
  const newest = Date.UTC(2026, 11, 1, 10, 30, 0, 7);
  const rows = shapes.map((shape, index) => {
    const filename = shape.filename ?? `${shape.title}.wav`;
    return {
      id: randomUUID(),
      storageKey: randomUUID(),
      userId: UPLOADER,
      filename,
      contentType: 'audio/wav',
      size: 48_044,
      durationMs: 1_000,
      status: 'ready' as const,
      searchText: searchTextOf({ title: shape.title, filename }),
      createdAt: new Date(newest - Math.min(index, shapes.length - 2) * 1_000),
      ...shape,
    };
  });
  const neighbours = [0, 1, 2].map((index) => ({
    id: randomUUID(),
    storageKey: randomUUID(),
    userId: NEIGHBOUR,
    title: `neighbour ${index} ${RARE_WORD}`,
    filename: 'n.wav',
    contentType: 'audio/wav',
    status: 'ready' as const,
    processing: 'ready' as const,
    searchText: searchTextOf({ title: `neighbour ${index} ${RARE_WORD}`, filename: 'n.wav' }),
    createdAt: new Date(newest - 500 - index * 1_000),
  }));
  // Never listed, whatever they look like.
  const hidden = (['uploading', 'deleting'] as const).map((status) => ({
    id: randomUUID(),
    storageKey: randomUUID(),
    userId: UPLOADER,
    title: `hidden ${RARE_WORD}`,
    filename: 'h.wav',
    contentType: 'audio/wav',
    status,
    searchText: searchTextOf({ title: `hidden ${RARE_WORD}`, filename: 'h.wav' }),
    createdAt: at('2026-12-01T10:30:00.500Z'),
  }));
  await db.insert(soundsTable).values([...rows, ...neighbours, ...hidden]);
});
afterAll(() => system?.close());

/** Listed rows as Drizzle reads them, newest first (the listing's own order). */
async function listedRows(where: ReturnType<typeof sql>): Promise<SoundRow[]> {
  return db
    .select(soundColumns)
    .from(soundsTable)
    .where(and(eq(soundsTable.status, 'ready'), where))
    .orderBy(desc(soundsTable.createdAt), desc(soundsTable.id));
}

const byUploader = (userId: number) => sql`${soundsTable.userId} = ${userId}`;
const matchingRareWord = sql`${soundsTable.searchText} like ${`%${RARE_WORD}%`}`;

/** What the presenter makes of `rows`, as JSON text. */
function presented(rows: SoundRow[], publicUrl = PUBLIC_URL): string {
  const present = soundPresenter(publicUrl);
  return JSON.stringify(rows.map((row) => present(row)));
}

/** A page as the API wrote it before Postgres did: presenter, then the serializer. */
function presentedPage(rows: SoundRow[], limit: number): string {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return JSON.stringify({
    items: JSON.parse(presented(items)),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  });
}

describe("the listing's JSON, written by Postgres", () => {
  it('is the presenter’s JSON, byte for byte, for sounds of every shape', async () => {
    const rows = await listedRows(byUploader(UPLOADER));
    expect(rows).toHaveLength(shapes.length);
    const page = await listPageJson(db, {
      limit: 100,
      userId: UPLOADER,
      soundsUrl: soundsUrlOf(PUBLIC_URL),
    });
    expect(`[${page.items}]`).toBe(presented(rows));
    expect(page.next).toBeUndefined();
  });

  it('escapes a public URL that needs it, and drops its trailing slashes', async () => {
    const publicUrl = 'http://cloud-sound.test/a"b\\c//';
    const rows = await listedRows(byUploader(UPLOADER));
    const page = await listPageJson(db, {
      limit: 100,
      userId: UPLOADER,
      soundsUrl: soundsUrlOf(publicUrl),
    });
    expect(`[${page.items}]`).toBe(presented(rows, publicUrl));
  });

  it('gives the cursor of the last row when another page follows, ties included', async () => {
    const rows = await listedRows(byUploader(UPLOADER));
    const soundsUrl = soundsUrlOf(PUBLIC_URL);
    const first = await listPageJson(db, { limit: 6, userId: UPLOADER, soundsUrl });
    expect(`[${first.items}]`).toBe(presented(rows.slice(0, 6)));
    const sixth = rows[5] as SoundRow;
    expect(first.next).toEqual({ createdAt: sixth.createdAt, id: sixth.id });
    // The seventh and eighth share their time: the cursor between them holds the id.
    const second = await listPageJson(db, {
      limit: 1,
      userId: UPLOADER,
      soundsUrl,
      after: first.next,
    });
    const seventh = rows[6] as SoundRow;
    expect(`[${second.items}]`).toBe(presented([seventh]));
    expect(second.next).toEqual({ createdAt: seventh.createdAt, id: seventh.id });
    const last = await listPageJson(db, {
      limit: 1,
      userId: UPLOADER,
      soundsUrl,
      after: second.next,
    });
    expect(`[${last.items}]`).toBe(presented(rows.slice(7)));
    expect(last.next).toBeUndefined();
  });

  it('answers an empty page as no items and no cursor', async () => {
    const page = await listPageJson(db, {
      limit: 50,
      userId: 424_242,
      soundsUrl: soundsUrlOf(PUBLIC_URL),
    });
    expect(page).toEqual({ items: '', next: undefined });
  });
});

describe('GET /sounds answers the presenter’s page', () => {
  const get = async (query: string) => (await fetch(`${system.url}/sounds?${query}`)).text();

  it.each([1, 2, 3, 4, 7, 8, 9, 50])(
    'walking one uploader’s sounds %i at a time',
    async (limit) => {
      const rows = await listedRows(byUploader(UPLOADER));
      let remaining = rows;
      let cursor: string | null = null;
      do {
        const text = await get(
          `userId=${UPLOADER}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(text).toBe(presentedPage(remaining, limit));
        cursor = (JSON.parse(text) as { nextCursor: string | null }).nextCursor;
        remaining = remaining.slice(limit);
      } while (cursor);
      expect(remaining.length).toBe(0);
    },
  );

  it('for a search, across uploaders', async () => {
    const rows = await listedRows(matchingRareWord);
    expect(rows.length).toBe(5);
    expect(await get(`q=${RARE_WORD.slice(0, 5)}&limit=3`)).toBe(presentedPage(rows, 3));
    expect(await get(`q=${RARE_WORD}&userId=${NEIGHBOUR}`)).toBe(
      presentedPage(await listedRows(sql`${matchingRareWord} and ${byUploader(NEIGHBOUR)}`), 50),
    );
  });

  it('for the whole catalogue', async () => {
    expect(await get('limit=100')).toBe(presentedPage(await listedRows(sql`true`), 100));
  });

  it('for nobody’s sounds', async () => {
    expect(await get('userId=424242')).toBe('{"items":[],"nextCursor":null}');
  });
});

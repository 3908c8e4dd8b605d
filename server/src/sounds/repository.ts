import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { and, asc, eq, lt, ne, sql } from '../db/orm.ts';
import { rowsOf } from '../db/rows.ts';
import { processingJobs, type SoundRow, soundColumns, soundsTable } from '../db/schema.ts';
import type { ProbedAudio } from '../media/probe.ts';
import { searchTextOf } from './search-text.ts';

/** All SQL about sounds, one function per question the flows ask. */

export async function insertUploadingSound(
  db: Database,
  values: { userId: number; title: string; filename: string },
): Promise<SoundRow> {
  const [row] = await db
    .insert(soundsTable)
    .values({
      ...values,
      id: randomUUID(),
      storageKey: randomUUID(),
      status: 'uploading',
      // Known once the stored file has been checked (see publishSound).
      contentType: 'application/octet-stream',
      searchText: searchTextOf(values),
    })
    .returning(soundColumns);
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** The upload's heartbeat: a live upload keeps its row fresh, so the reaper leaves it alone. */
export async function touchSound(db: Database, id: string): Promise<void> {
  await db.update(soundsTable).set({ updatedAt: sql`now()` }).where(eq(soundsTable.id, id));
}

/**
 * `uploading → ready`, with the sound's processing job, in one statement (so no publish ever
 * lacks its job); the published time orders the listing. Undefined if the row is gone.
 */
export async function publishSound(
  db: Database,
  row: Pick<SoundRow, 'id' | 'filename'>,
  values: {
    title: string;
    size: number;
    contentType: string;
    durationMs: number | null;
    /** ffprobe's findings, for the job; null when it was not there to judge. */
    audio: ProbedAudio | null;
  },
): Promise<SoundRow | undefined> {
  const published = await db.execute(sql`
    with published as (
      update ${soundsTable}
      set title = ${values.title}, size = ${values.size}, content_type = ${values.contentType},
          duration_ms = ${values.durationMs},
          audio = ${values.audio === null ? null : JSON.stringify(values.audio)}::jsonb,
          search_text = ${searchTextOf({ title: values.title, filename: row.filename })},
          status = 'ready', created_at = now(), updated_at = now()
      where ${soundsTable.id} = ${row.id} and ${soundsTable.status} = 'uploading'
      returning ${soundsTable.id} as id
    ), job as (
      insert into ${processingJobs} (sound_id) select id from published
    )
    select id from published`);
  const [first] = rowsOf(published);
  return first ? findSoundById(db, row.id) : undefined;
}

/** A new title for a listed sound; undefined if it is not (or no longer) listed. */
export async function renameSound(
  db: Database,
  sound: Pick<SoundRow, 'id' | 'filename'>,
  title: string,
): Promise<SoundRow | undefined> {
  const [row] = await db
    .update(soundsTable)
    .set({ title, searchText: searchTextOf({ title, filename: sound.filename }) })
    .where(and(eq(soundsTable.id, sound.id), eq(soundsTable.status, 'ready')))
    .returning(soundColumns);
  return row;
}

/** A sound in any state (processing needs to know whether it is still `ready`). */
export async function findSoundById(db: Database, id: string): Promise<SoundRow | undefined> {
  const [row] = await db.select(soundColumns).from(soundsTable).where(eq(soundsTable.id, id));
  return row;
}

export async function findReadySound(db: Database, id: string): Promise<SoundRow | undefined> {
  const [row] = await preparedQueries(db).findReady.execute({ id });
  return row;
}

/**
 * The hot lookup, built once per database: building a Drizzle query costs more CPU than
 * Postgres spends answering it (see bench/README.md). The listing's are in page-query.ts.
 */
const prepared = new WeakMap<Database, ReturnType<typeof prepareQueries>>();

function preparedQueries(db: Database) {
  let queries = prepared.get(db);
  if (!queries) {
    queries = prepareQueries(db);
    prepared.set(db, queries);
  }
  return queries;
}

function prepareQueries(db: Database) {
  return {
    findReady: db
      .select(soundColumns)
      .from(soundsTable)
      .where(and(eq(soundsTable.id, sql.placeholder('id')), eq(soundsTable.status, 'ready')))
      .prepare('find_ready_sound'),
  };
}

/** `ready → deleting`, only once: of two concurrent deletes, one gets the row. */
export async function markSoundDeleting(db: Database, id: string): Promise<SoundRow | undefined> {
  const [row] = await db
    .update(soundsTable)
    .set({ status: 'deleting', updatedAt: sql`now()` })
    .where(and(eq(soundsTable.id, id), eq(soundsTable.status, 'ready')))
    .returning(soundColumns);
  return row;
}

export async function deleteSoundRow(db: Database, id: string): Promise<void> {
  await db.delete(soundsTable).where(eq(soundsTable.id, id));
}

/**
 * Claims one unfinished row (an upload or delete idle for longer than `staleAfterMs`) for the
 * reaper. The claim is a lease: it bumps `updated_at`, so another replica skips the row until
 * the lease itself goes stale, and `SKIP LOCKED` keeps two replicas off the same row at once.
 */
export async function claimStaleSound(
  db: Database,
  staleAfterMs: number,
): Promise<SoundRow | undefined> {
  const cutoff = sql`now() - make_interval(secs => ${staleAfterMs / 1000})`;
  const candidate = db
    .select({ id: soundsTable.id })
    .from(soundsTable)
    .where(and(ne(soundsTable.status, 'ready'), lt(soundsTable.updatedAt, cutoff)))
    .orderBy(asc(soundsTable.updatedAt))
    .limit(1)
    .for('update', { skipLocked: true });
  const [row] = await db
    .update(soundsTable)
    .set({ updatedAt: sql`now()` })
    .where(eq(soundsTable.id, sql`(${candidate})`))
    .returning(soundColumns);
  return row;
}

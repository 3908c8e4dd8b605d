import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { and, asc, desc, eq, lt, ne, sql } from '../db/orm.ts';
import { type SoundRow, sounds } from '../db/schema.ts';
import type { CursorPosition } from './cursor.ts';

/** All SQL about sounds, one function per question the flows ask. */

export async function insertUploadingSound(
  db: Database,
  values: { userId: number; title: string; filename: string },
): Promise<SoundRow> {
  const [row] = await db
    .insert(sounds)
    .values({
      ...values,
      id: randomUUID(),
      storageKey: randomUUID(),
      status: 'uploading',
      // Known once the stored file has been checked (see publishSound).
      contentType: 'application/octet-stream',
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** The upload's heartbeat: a live upload keeps its row fresh, so the reaper leaves it alone. */
export async function touchSound(db: Database, id: string): Promise<void> {
  await db.update(sounds).set({ updatedAt: sql`now()` }).where(eq(sounds.id, id));
}

/** `uploading → ready`; the published time orders the listing. Undefined if the row is gone. */
export async function publishSound(
  db: Database,
  id: string,
  values: { title: string; size: number; contentType: string; durationMs: number | null },
): Promise<SoundRow | undefined> {
  const [row] = await db
    .update(sounds)
    .set({ ...values, status: 'ready', createdAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(sounds.id, id), eq(sounds.status, 'uploading')))
    .returning();
  return row;
}

export async function findReadySound(db: Database, id: string): Promise<SoundRow | undefined> {
  const [row] = await preparedQueries(db).findReady.execute({ id });
  return row;
}

/** The columns a listing shows (see presentSound); storage key and status stay behind. */
const listedColumns = {
  id: sounds.id,
  userId: sounds.userId,
  title: sounds.title,
  filename: sounds.filename,
  contentType: sounds.contentType,
  size: sounds.size,
  durationMs: sounds.durationMs,
  createdAt: sounds.createdAt,
};
export type ListedSound = Pick<SoundRow, keyof typeof listedColumns>;

/** Newest first; one row more than asked tells whether another page follows. */
export async function listReadySounds(
  db: Database,
  options: { limit: number; userId?: number | undefined; after?: CursorPosition | undefined },
): Promise<ListedSound[]> {
  const { limit, userId, after } = options;
  const queries = preparedQueries(db).list;
  const position = after && { afterTime: after.createdAt.toISOString(), afterId: after.id };
  if (userId === undefined) {
    return position
      ? queries.allAfter.execute({ limit: limit + 1, ...position })
      : queries.all.execute({ limit: limit + 1 });
  }
  return position
    ? queries.byUserAfter.execute({ limit: limit + 1, userId, ...position })
    : queries.byUser.execute({ limit: limit + 1, userId });
}

/**
 * The hot read queries, built once per database: building a Drizzle query costs more CPU than
 * Postgres spends answering it (see bench/README.md).
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
  const listQuery = (name: string, byUser: boolean, after: boolean) =>
    db
      .select(listedColumns)
      .from(sounds)
      .where(
        and(
          eq(sounds.status, 'ready'),
          byUser ? eq(sounds.userId, sql.placeholder('userId')) : undefined,
          after
            ? sql`(${sounds.createdAt}, ${sounds.id}) < (${sql.placeholder('afterTime')}::timestamptz, ${sql.placeholder('afterId')}::uuid)`
            : undefined,
        ),
      )
      .orderBy(desc(sounds.createdAt), desc(sounds.id))
      .limit(sql.placeholder('limit'))
      .prepare(name);

  return {
    findReady: db
      .select()
      .from(sounds)
      .where(and(eq(sounds.id, sql.placeholder('id')), eq(sounds.status, 'ready')))
      .prepare('find_ready_sound'),
    list: {
      all: listQuery('list_sounds', false, false),
      allAfter: listQuery('list_sounds_after', false, true),
      byUser: listQuery('list_user_sounds', true, false),
      byUserAfter: listQuery('list_user_sounds_after', true, true),
    },
  };
}

/** `ready → deleting`, only once: of two concurrent deletes, one gets the row. */
export async function markSoundDeleting(db: Database, id: string): Promise<SoundRow | undefined> {
  const [row] = await db
    .update(sounds)
    .set({ status: 'deleting', updatedAt: sql`now()` })
    .where(and(eq(sounds.id, id), eq(sounds.status, 'ready')))
    .returning();
  return row;
}

export async function deleteSoundRow(db: Database, id: string): Promise<void> {
  await db.delete(sounds).where(eq(sounds.id, id));
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
    .select({ id: sounds.id })
    .from(sounds)
    .where(and(ne(sounds.status, 'ready'), lt(sounds.updatedAt, cutoff)))
    .orderBy(asc(sounds.updatedAt))
    .limit(1)
    .for('update', { skipLocked: true });
  const [row] = await db
    .update(sounds)
    .set({ updatedAt: sql`now()` })
    .where(eq(sounds.id, sql`(${candidate})`))
    .returning();
  return row;
}

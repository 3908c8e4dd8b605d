import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { and, asc, eq, isNull, sql } from '../db/orm.ts';
import { rowsOf } from '../db/rows.ts';
import {
  type ResumableUploadPartRow,
  type ResumableUploadRow,
  resumableUploadParts,
  resumableUploads,
} from '../db/schema.ts';

/** All SQL about resumable uploads, one function per question the flows ask. */

/** How long a lease lasts unless renewed; the holder renews it every third of that. */
export const LEASE_MS = 10_000;

export interface NewUpload {
  id: string;
  userId: number;
  length: number;
  filename: string;
  title: string | null;
  metadata: Record<string, string | null> | null;
  expiresAt: Date;
}

export interface UnfinishedLimits {
  uploads: number;
  bytes: number;
}

/** What a user's unfinished uploads hold: how many, and their announced lengths in all. */
export async function unfinishedOf(
  db: Database,
  userId: number,
): Promise<{ count: number; bytes: number }> {
  const result = await db.execute(sql`
    select count(*) as count, coalesce(sum(${resumableUploads.length}), 0) as bytes
    from ${resumableUploads}
    where ${resumableUploads.userId} = ${userId} and ${resumableUploads.soundId} is null`);
  const [row] = rowsOf<{ count: number | string; bytes: number | string }>(result);
  return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
}

/**
 * Inserts the upload unless its user would then have more unfinished uploads, or bytes in
 * them, than `limits` allow (checked in the same statement); false when refused.
 */
export async function insertUpload(
  db: Database,
  upload: NewUpload,
  limits: UnfinishedLimits,
): Promise<boolean> {
  const result = await db.execute(sql`
    insert into ${resumableUploads}
      (id, user_id, length, filename, title, metadata, expires_at)
    select ${upload.id}, ${upload.userId}, ${upload.length}, ${upload.filename}, ${upload.title},
           ${upload.metadata === null ? null : JSON.stringify(upload.metadata)}::jsonb,
           ${upload.expiresAt.toISOString()}::timestamptz
    from (
      select count(*) as count, coalesce(sum(length), 0) as bytes from ${resumableUploads}
      where user_id = ${upload.userId} and sound_id is null
    ) as unfinished
    where unfinished.count < ${limits.uploads}
      and unfinished.bytes + ${upload.length} <= ${limits.bytes}
    returning id`);
  return rowsOf(result).length > 0;
}

export async function findUpload(
  db: Database,
  id: string,
): Promise<ResumableUploadRow | undefined> {
  const [row] = await db.select().from(resumableUploads).where(eq(resumableUploads.id, id));
  return row;
}

/**
 * Takes the upload's lease for one request, if the upload is at `offset`, not published and
 * no other request holds a live lease: resolves to the lease's token, or undefined.
 */
export async function takeLease(
  db: Database,
  id: string,
  offset: number,
): Promise<string | undefined> {
  const token = randomUUID();
  const [row] = await db
    .update(resumableUploads)
    .set({ leaseToken: token, leaseUntil: sql`now() + ${`${LEASE_MS} milliseconds`}::interval` })
    .where(
      and(
        eq(resumableUploads.id, id),
        eq(resumableUploads.offset, offset),
        isNull(resumableUploads.soundId),
        sql`(${resumableUploads.leaseUntil} is null or ${resumableUploads.leaseUntil} < now())`,
      ),
    )
    .returning({ id: resumableUploads.id });
  return row ? token : undefined;
}

/** An append begun: its lease, the part it will write, and what the upload already holds. */
export interface BegunAppend {
  token: string;
  /** The part this request writes, named before its file exists. */
  key: string;
  /** The upload's announced length. */
  length: number;
  /** Parts recorded before this one (pending ones included). */
  parts: number;
  /** Parts named but never recorded whole: their request died before it finished. */
  leftovers: string[];
}

/**
 * One round trip to begin an append at `offset`: takes the lease (as takeLease), names the
 * part about to be written, and reads what the upload holds. Undefined when the lease is not
 * to be had (the caller asks why).
 */
export async function beginAppend(
  db: Database,
  id: string,
  offset: number,
): Promise<BegunAppend | undefined> {
  const token = randomUUID();
  const key = randomUUID();
  // Every part of one statement sees the rows as they were before it: `parts` and `pending`
  // do not count the part it names.
  const result = await db.execute(sql`
    with taken as (
      update ${resumableUploads}
      set lease_token = ${token},
          lease_until = now() + ${`${LEASE_MS} milliseconds`}::interval
      where id = ${id} and "offset" = ${offset} and sound_id is null
        and (lease_until is null or lease_until < now())
      returning length
    ), named as (
      insert into ${resumableUploadParts} (key, upload_id, "offset", size)
      select ${key}, ${id}, ${offset}, null from taken
    )
    select taken.length,
      (select count(*) from ${resumableUploadParts} where upload_id = ${id}) as parts,
      (select coalesce(array_agg(key::text), '{}') from ${resumableUploadParts}
        where upload_id = ${id} and size is null) as leftovers
    from taken`);
  const [row] = rowsOf<{
    length: number | string;
    parts: number | string;
    leftovers: string[] | string;
  }>(result);
  if (!row) return undefined;
  return {
    token,
    key,
    length: Number(row.length),
    parts: Number(row.parts),
    leftovers: parseTextArray(row.leftovers),
  };
}

/** A `text[]` as either driver gives it back (postgres.js: an array; PGlite may give `{a,b}`). */
function parseTextArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',') : [];
}

/** Keeps a lease alive; false when it is no longer this token's (taken over, or the upload gone). */
export async function renewLease(db: Database, id: string, token: string): Promise<boolean> {
  const [row] = await db
    .update(resumableUploads)
    .set({ leaseUntil: sql`now() + ${`${LEASE_MS} milliseconds`}::interval` })
    .where(and(eq(resumableUploads.id, id), eq(resumableUploads.leaseToken, token)))
    .returning({ id: resumableUploads.id });
  return Boolean(row);
}

export async function releaseLease(db: Database, id: string, token: string): Promise<void> {
  await db
    .update(resumableUploads)
    .set({ leaseToken: null, leaseUntil: null })
    .where(and(eq(resumableUploads.id, id), eq(resumableUploads.leaseToken, token)));
}

/** Every part of the upload in offset order, pending ones (size null) included. */
export function partsOf(db: Database, uploadId: string): Promise<ResumableUploadPartRow[]> {
  return db
    .select()
    .from(resumableUploadParts)
    .where(eq(resumableUploadParts.uploadId, uploadId))
    .orderBy(asc(resumableUploadParts.offset));
}

export async function deletePart(db: Database, key: string): Promise<void> {
  await db.delete(resumableUploadParts).where(eq(resumableUploadParts.key, key));
}

/**
 * Records a written part, moves the upload's offset past it and gives up the lease, in one
 * statement, only while `token` still holds the lease and the offset is where the part began:
 * resolves to the new offset, or undefined when the lease was lost (the caller removes its file).
 */
export async function commitPart(
  db: Database,
  part: { uploadId: string; key: string; offset: number; size: number; token: string },
): Promise<number | undefined> {
  const result = await db.execute(sql`
    with moved as (
      update ${resumableUploads}
      set "offset" = "offset" + ${part.size}, lease_token = null, lease_until = null
      where id = ${part.uploadId} and lease_token = ${part.token} and "offset" = ${part.offset}
      returning "offset"
    ), recorded as (
      update ${resumableUploadParts} set size = ${part.size}
      where key = ${part.key} and exists (select 1 from moved)
    )
    select "offset" from moved`);
  const [row] = rowsOf<{ offset: number | string }>(result);
  return row ? Number(row.offset) : undefined;
}

/** The upload's sound, published: it no longer counts as unfinished. */
export async function markPublished(db: Database, id: string, soundId: string): Promise<void> {
  await db
    .update(resumableUploads)
    .set({ soundId, leaseToken: null, leaseUntil: null })
    .where(eq(resumableUploads.id, id));
}

/** Removes the upload's row and its part rows (their files must be gone first). */
export async function deleteUpload(db: Database, id: string): Promise<void> {
  await db.delete(resumableUploads).where(eq(resumableUploads.id, id));
}

/**
 * Uploads for the reaper: unfinished ones past their expiry and published ones past it (their
 * rows only tell a late client its sound), and published ones whose parts are still stored
 * (removing them failed); never one whose lease is live.
 */
export async function uploadsToReap(db: Database, limit: number): Promise<ResumableUploadRow[]> {
  return db
    .select()
    .from(resumableUploads)
    .where(
      sql`(${resumableUploads.leaseUntil} is null or ${resumableUploads.leaseUntil} < now())
        and (${resumableUploads.expiresAt} < now()
          or (${resumableUploads.soundId} is not null and exists (
            select 1 from ${resumableUploadParts}
            where ${resumableUploadParts.uploadId} = ${resumableUploads.id})))`,
    )
    .limit(limit);
}

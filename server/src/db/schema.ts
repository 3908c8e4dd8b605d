import type { ProbedAudio } from '../media/probe.ts';
import {
  bigint,
  check,
  customType,
  getTableColumns,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  sql,
  text,
  timestamp,
  uuid,
} from './orm.ts';

/** Postgres's full-text document type; the API never reads it, only searches it. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * Life of a row: `uploading` while its bytes stream to file_store, `ready` once stored,
 * `deleting` from the moment a delete starts until file_store confirms. Only `ready` rows are
 * ever listed or served; the reaper finishes or undoes the other two after a crash.
 */
export const SOUND_STATUSES = ['uploading', 'ready', 'deleting'] as const;
export type SoundStatus = (typeof SOUND_STATUSES)[number];

/**
 * The derivatives of a `ready` sound (its listening rendition, its waveform): `pending` until
 * its processing job has made them, then `ready`, or `failed` with a reason after the last try.
 */
export const PROCESSING_STATES = ['pending', 'ready', 'failed'] as const;
export type ProcessingState = (typeof PROCESSING_STATES)[number];

export const soundsTable = pgTable(
  'sounds',
  {
    id: uuid('id').primaryKey(),
    userId: integer('user_id').notNull(),
    title: text('title').notNull(),
    /** The uploader's filename: metadata only, never used to name the stored file. */
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    /**
     * What ffprobe found when the upload was judged (container, codec, layout, length): the
     * job decodes from it instead of asking again; null when the upload came in without one.
     */
    audio: jsonb('audio').$type<ProbedAudio>(),
    size: bigint('size', { mode: 'number' }).notNull().default(0),
    durationMs: integer('duration_ms'),
    /** The file's id in file_store: a fresh UUID per upload, so equal filenames never collide. */
    storageKey: uuid('storage_key').notNull().unique(),
    // text + CHECK rather than a Postgres enum: easier to extend in a later migration.
    status: text('status', { enum: SOUND_STATUSES }).notNull().default('uploading'),
    /**
     * When the sound was published (became `ready`); orders the listing. Millisecond precision,
     * like a JavaScript Date, so a keyset cursor compares exactly.
     */
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    /** Last progress of an upload or delete; the reaper only touches rows idle for a while. */
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    /**
     * Title and filename, lower-cased, without accents and split into words (see
     * sounds/search-text.ts): what `?q=` matches word prefixes against.
     */
    searchText: text('search_text').notNull().default(''),
    /**
     * `search_text` as a full-text document, kept by Postgres itself: the search index reads it,
     * and a query that filters rows while walking the newest-first index compares it as it is
     * instead of parsing `search_text` again for every row it passes.
     */
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      (): ReturnType<typeof sql> => sql`to_tsvector('simple', search_text)`,
    ),
    processing: text('processing', { enum: PROCESSING_STATES }).notNull().default('pending'),
    /** Why processing failed (a reason of processing/failures.ts), for the uploader. */
    processingError: text('processing_error'),
    /** EBU R128 integrated loudness (LUFS) and true peak (dBTP); null until measured. */
    loudnessLufs: real('loudness_lufs'),
    truePeakDbtp: real('true_peak_dbtp'),
    /** The listening rendition in file_store (may be the original's own key). */
    streamKey: uuid('stream_key'),
    streamContentType: text('stream_content_type'),
    streamSize: bigint('stream_size', { mode: 'number' }),
    /** The waveform peaks (audiowaveform JSON) in file_store, and their size. */
    waveformKey: uuid('waveform_key').unique(),
    waveformSize: bigint('waveform_size', { mode: 'number' }),
  },
  (table) => [
    check('sounds_status_check', sql`${table.status} in ('uploading', 'ready', 'deleting')`),
    // Newest-first listing and its keyset cursor, over listed rows only (scanned backwards,
    // which matches a plain `ORDER BY created_at DESC, id DESC`).
    index('sounds_ready_newest_idx')
      .on(table.createdAt, table.id)
      .where(sql`${table.status} = 'ready'`),
    // The same per uploader (`?userId=`).
    index('sounds_ready_user_newest_idx')
      .on(table.userId, table.createdAt, table.id)
      .where(sql`${table.status} = 'ready'`),
    // The reaper's scan for unfinished uploads and deletes.
    index('sounds_unfinished_idx')
      .on(table.status, table.updatedAt)
      .where(sql`${table.status} <> 'ready'`),
    check('sounds_processing_check', sql`${table.processing} in ('pending', 'ready', 'failed')`),
    // `?q=`: word prefixes (`to_tsquery('simple', 'pia:*')`) over listed sounds.
    index('sounds_ready_search_idx')
      .using('gin', table.searchVector)
      .where(sql`${table.status} = 'ready'`),
  ],
);

/** Every column of a sound the API reads: all but the search document. */
export const soundColumns = (() => {
  const { searchVector, ...read } = getTableColumns(soundsTable);
  return read;
})();

export type SoundRow = Omit<typeof soundsTable.$inferSelect, 'searchVector'>;

/**
 * One durable processing job per sound that still needs its derivatives. Any API replica (or a
 * worker process) claims a due job with a lease (`lease_until`, `FOR UPDATE SKIP LOCKED`) and a
 * fresh `lease_token`; only the holder of the current token may record the results, so a job
 * whose lease ran out while it worked cannot overwrite the one that took over. The keys of the
 * derivatives an attempt is writing are recorded before it writes them, so whoever cleans up
 * after a crash (the next attempt, a delete) knows what to remove.
 */
export const processingJobs = pgTable(
  'processing_jobs',
  {
    soundId: uuid('sound_id')
      .primaryKey()
      .references(() => soundsTable.id, { onDelete: 'cascade' }),
    attempts: integer('attempts').notNull().default(0),
    /** Not before: the backoff after a failed attempt. */
    runAfter: timestamp('run_after', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date', precision: 3 }),
    leaseToken: uuid('lease_token'),
    /** The derivatives the current (or last, crashed) attempt writes. */
    streamKey: uuid('stream_key'),
    waveformKey: uuid('waveform_key'),
    lastError: text('last_error'),
  },
  (table) => [index('processing_jobs_due_idx').on(table.runAfter)],
);

export type ProcessingJobRow = typeof processingJobs.$inferSelect;

/**
 * When each uploader's job was last claimed: jobs are claimed round robin across uploaders
 * (the one served longest ago first), so one person's backlog delays another's sound by one
 * job at most.
 */
export const processingTurns = pgTable('processing_turns', {
  userId: integer('user_id').primaryKey(),
  lastClaimedAt: timestamp('last_claimed_at', { withTimezone: true, mode: 'date', precision: 3 })
    .notNull()
    .defaultNow(),
});

/** What happened to a listed sound, as `GET /events` tells it (see sound_events' trigger). */
export const SOUND_EVENT_KINDS = [
  'created',
  'renamed',
  'processing',
  'updated',
  'deleted',
] as const;
export type SoundEventKind = (typeof SOUND_EVENT_KINDS)[number];

/**
 * Every change to what the listing shows, one row per sound changed, written by a trigger on
 * `sounds` in the transaction that makes the change (drizzle/0006_sound_events.sql) and
 * announced to every replica on commit (NOTIFY `sound_events`). The id orders them and is the
 * SSE event id a reconnecting browser names in `Last-Event-ID`; rows older than
 * EVENTS_RETENTION_MS are pruned.
 */
export const soundEvents = pgTable(
  'sound_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    soundId: uuid('sound_id').notNull(),
    /** The sound's owner, who alone is told why its processing failed. */
    userId: integer('user_id').notNull(),
    kind: text('kind', { enum: SOUND_EVENT_KINDS }).notNull(),
    /** The sound's processing state after the change (null once deleted). */
    processing: text('processing', { enum: PROCESSING_STATES }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    check(
      'sound_events_kind_check',
      sql`${table.kind} in ('created', 'renamed', 'processing', 'updated', 'deleted')`,
    ),
    index('sound_events_created_idx').on(table.createdAt),
  ],
);

export type SoundEventRow = typeof soundEvents.$inferSelect;

/**
 * A resumable upload (tus, routes/uploads.ts): its length, how much of it has arrived
 * (`offset`, the sum of its committed parts) and who may touch it. Whichever request appends
 * (or finishes it) holds a lease (`lease_token`, `lease_until`), so two requests on any two
 * replicas never write the same upload at once; a lease left by a crash runs out. Once its
 * sound is published, `sound_id` says which, until the row expires.
 */
export const resumableUploads = pgTable(
  'resumable_uploads',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id').notNull(),
    length: bigint('length', { mode: 'number' }).notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull().default(0),
    filename: text('filename').notNull(),
    title: text('title'),
    /** `Upload-Metadata` as the client sent it, decoded: HEAD gives it back. */
    metadata: jsonb('metadata').$type<Record<string, string | null>>(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    expiresAt: timestamp('expires_at', {
      withTimezone: true,
      mode: 'date',
      precision: 3,
    }).notNull(),
    leaseToken: uuid('lease_token'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date', precision: 3 }),
    soundId: uuid('sound_id'),
  },
  (table) => [
    check('resumable_uploads_offset_check', sql`${table.offset} between 0 and ${table.length}`),
    index('resumable_uploads_user_idx').on(table.userId),
    index('resumable_uploads_expires_idx').on(table.expiresAt),
  ],
);

export type ResumableUploadRow = typeof resumableUploads.$inferSelect;

/**
 * The parts of a resumable upload, one file in file_store per request that appended to it,
 * in offset order. A part's row is written before its file (size null until the file is
 * whole and the upload's offset moved past it), so a crash leaves a row that names the file,
 * never a file nothing names.
 */
export const resumableUploadParts = pgTable(
  'resumable_upload_parts',
  {
    key: uuid('key').primaryKey(),
    uploadId: text('upload_id')
      .notNull()
      .references(() => resumableUploads.id, { onDelete: 'cascade' }),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    size: bigint('size', { mode: 'number' }),
  },
  (table) => [index('resumable_upload_parts_upload_idx').on(table.uploadId, table.offset)],
);

export type ResumableUploadPartRow = typeof resumableUploadParts.$inferSelect;

import { bigint, check, index, integer, pgTable, sql, text, timestamp, uuid } from './orm.ts';

/**
 * Life of a row: `uploading` while its bytes stream to file_store, `ready` once stored,
 * `deleting` from the moment a delete starts until file_store confirms. Only `ready` rows are
 * ever listed or served; the reaper finishes or undoes the other two after a crash.
 */
export const SOUND_STATUSES = ['uploading', 'ready', 'deleting'] as const;
export type SoundStatus = (typeof SOUND_STATUSES)[number];

export const sounds = pgTable(
  'sounds',
  {
    id: uuid('id').primaryKey(),
    userId: integer('user_id').notNull(),
    title: text('title').notNull(),
    /** The uploader's filename: metadata only, never used to name the stored file. */
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
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
  ],
);

export type SoundRow = typeof sounds.$inferSelect;

import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { ResumableUploadPartRow, ResumableUploadRow, SoundRow } from '../db/schema.ts';
import { Errors } from '../lib/errors.ts';
import { type Sniffed, sniff } from '../media/sniff.ts';
import { notAudio, type UploadCheck } from '../media/upload-check.ts';
import { cleanFilename, cleanTitle, defaultTitle } from '../sounds/names.ts';
import { uploadAllowance } from '../sounds/quota.ts';
import { readHead } from '../sounds/read-head.ts';
import { findSoundById, insertUploadingSound } from '../sounds/repository.ts';
import {
  byteCounter,
  discardUpload,
  HEAD_BYTES,
  Heartbeat,
  publishStoredUpload,
} from '../sounds/upload.ts';
import {
  beginAppend,
  commitPart,
  deletePart,
  deleteUpload,
  findUpload,
  insertUpload,
  LEASE_MS,
  markPublished,
  partsOf,
  releaseLease,
  renewLease,
  takeLease,
  unfinishedOf,
  uploadsToReap,
} from './repository.ts';

/**
 * The most requests one upload may arrive in: each becomes a file in file_store, and all of
 * them are composed into the sound's file at the end (file_store composes up to 10,000).
 */
export const MAX_PARTS = 10_000;

/** Part files deleted at once: enough to hide the round trips, few next to FILE_STORE_CONTROL_CONNECTIONS. */
const PARALLEL_DELETES = 4;

export interface NewResumableUpload {
  id: string;
  userId: number;
  length: number;
  metadata: Record<string, string | null> | undefined;
}

/**
 * Resumable uploads (tus, uploads/tus.ts) on file_store, which cannot append: every request's
 * bytes become a part file of their own as they arrive, and the upload's offset, in Postgres,
 * moves past a part only once it is whole. So an upload continues on any replica and after a
 * restart, and a request cut off keeps what arrived. When the last byte is in, file_store
 * composes the parts into the sound's file, which then takes exactly the path of a multipart
 * upload: ffprobe's judgement, publishing, processing.
 */
export interface ResumableUploadsService {
  /** Records a new upload (413 over the quota, 429 over the caps on unfinished uploads). */
  create(upload: NewResumableUpload): Promise<ResumableUploadRow>;
  find(id: string): Promise<ResumableUploadRow | undefined>;
  /**
   * Appends `source`, which starts at `offset`, as one part; resolves to the new offset. 409
   * when the upload is elsewhere or another request is appending to it. A source that ends
   * early (its client went away) still counts for what arrived.
   */
  append(id: string, offset: number, source: Readable): Promise<number>;
  /** Publishes a complete upload as a sound (once: later calls give the same sound). */
  finish(id: string): Promise<SoundRow>;
  /** Removes the upload and every part of it. */
  terminate(id: string): Promise<void>;
  /** One reaper pass: expired uploads and leftover parts; resolves to the uploads handled. */
  reap(): Promise<number>;
}

export interface ResumableUploadsDependencies {
  db: Database;
  fileStore: FileStore;
  uploadCheck: UploadCheck;
  log: FastifyBaseLogger;
  /** Called once a sound is published, its processing job waiting. */
  onPublished(): void;
  config: Pick<
    Config,
    | 'RESUMABLE_EXPIRY_MS'
    | 'USER_UNFINISHED_UPLOADS'
    | 'USER_UNFINISHED_UPLOAD_BYTES'
    | 'USER_STORAGE_BYTES'
    | 'USER_PENDING_SOUNDS'
    | 'MAX_DURATION_MS'
    | 'REAPER_STALE_AFTER_MS'
  >;
}

export function createResumableUploads(
  deps: ResumableUploadsDependencies,
): ResumableUploadsService {
  const { db, fileStore, log, config } = deps;
  const quota = {
    storageBytes: config.USER_STORAGE_BYTES,
    pendingSounds: config.USER_PENDING_SOUNDS,
  };
  const publishing = {
    ...deps,
    maxDurationMs: config.MAX_DURATION_MS,
    heartbeatMs: Math.max(250, Math.floor(config.REAPER_STALE_AFTER_MS / 4)),
  };

  /** Runs `work` holding the upload's lease (taken at `offset`), renewed while it runs. */
  async function withLease<T>(
    id: string,
    offset: number,
    work: (token: string) => Promise<T>,
  ): Promise<T> {
    const token = await takeLease(db, id, offset);
    if (!token) throw await whyNoLease(id, offset);
    const renewal = setInterval(() => {
      renewLease(db, id, token).catch((error) =>
        log.warn({ err: error, uploadId: id }, 'could not renew an upload lease'),
      );
    }, LEASE_MS / 3);
    try {
      return await work(token);
    } finally {
      clearInterval(renewal);
      await releaseLease(db, id, token).catch((error) =>
        log.warn({ err: error, uploadId: id }, 'could not release an upload lease; it runs out'),
      );
    }
  }

  async function whyNoLease(id: string, offset: number): Promise<Error> {
    const upload = await findUpload(db, id);
    if (!upload) return new Errors.uploadNotFound(id);
    if (upload.offset !== offset) return new Errors.uploadOffsetMismatch();
    return new Errors.uploadBusy();
  }

  /**
   * Deletes part files, each before its row, a few at a time (a finished GiB has 128 parts); a
   * file already gone counts as deleted.
   */
  async function removeParts(parts: ResumableUploadPartRow[]): Promise<void> {
    const queue = [...parts];
    const worker = async () => {
      for (let part = queue.shift(); part; part = queue.shift()) {
        await fileStore.deleteSoundFile(part.key);
        await deletePart(db, part.key);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_DELETES }, worker));
  }

  async function terminate(id: string): Promise<void> {
    await removeParts(await partsOf(db, id));
    await deleteUpload(db, id);
  }

  /**
   * The whole upload, as file_store composes it under a new sound's key (linking the parts, not
   * copying them); its row stays fresh (`heartbeat`) while that is done and the result judged.
   */
  async function composeSound(
    upload: ResumableUploadRow,
    parts: ResumableUploadPartRow[],
    heartbeat: Heartbeat,
  ) {
    const row = await insertUploadingSound(db, {
      userId: upload.userId,
      title: defaultTitle(upload.filename),
      filename: upload.filename,
    });
    heartbeat.start(row.id);
    try {
      const size = await fileStore.composeSoundFile(
        row.storageKey,
        parts.map((part) => part.key),
      );
      if (size !== upload.length) {
        throw new Errors.storageUnavailable({
          cause: new Error(`composed ${size} bytes of an upload of ${upload.length}`),
        });
      }
      const sniffed = sniff(await storedHead(row.storageKey));
      if (sniffed.notAudio) throw notAudio(sniffed.notAudio);
      return { row, size, sniffed };
    } catch (error) {
      await discardUpload(row, publishing);
      throw error;
    }
  }

  async function storedHead(key: string): Promise<Buffer> {
    const file = await fileStore.openSoundFile(key, {
      method: 'GET',
      headers: { range: `bytes=0-${HEAD_BYTES - 1}` },
    });
    if (file.statusCode !== 200 && file.statusCode !== 206) {
      await discardBody(file.body);
      throw new Errors.storageUnavailable({
        cause: new Error(`file_store answered ${file.statusCode} for a composed upload`),
      });
    }
    return Buffer.from(await file.body.arrayBuffer());
  }

  /** Refuses what is plainly not sound from its first bytes, before the rest is sent. */
  async function sniffFirstPart(
    source: Readable,
    uploadId: string,
    length: number,
  ): Promise<{ head: Buffer; sniffed: Sniffed }> {
    const head = await readHead(source, HEAD_BYTES);
    const sniffed = sniff(head);
    // A request cut off after a few bytes tells too little to judge; the whole file is judged
    // at the end anyway.
    const sawEnough = head.length === HEAD_BYTES || head.length === length;
    if (sniffed.notAudio && sawEnough) {
      source.resume();
      await terminate(uploadId);
      throw notAudio(sniffed.notAudio);
    }
    return { head, sniffed };
  }

  return {
    async create({ id, userId, length, metadata }) {
      // Nothing to send, and nothing a sound could be made of: refused as POST /sounds does.
      if (length === 0) throw new Errors.emptyFile();
      const filename = cleanFilename(metadata?.filename ?? metadata?.name ?? undefined);
      const title = (metadata?.title && cleanTitle(metadata.title)) || null;
      const unfinished = await unfinishedOf(db, userId);
      const remaining = (await uploadAllowance(db, userId, quota)) - unfinished.bytes;
      if (length > remaining) throw new Errors.uploadOverQuota(Math.max(0, remaining));
      const limits = {
        uploads: config.USER_UNFINISHED_UPLOADS,
        bytes: config.USER_UNFINISHED_UPLOAD_BYTES,
      };
      const expiresAt = new Date(Date.now() + config.RESUMABLE_EXPIRY_MS);
      const inserted = await insertUpload(
        db,
        { id, userId, length, filename, title, metadata: metadata ?? null, expiresAt },
        limits,
      );
      if (!inserted) {
        // Counted again: the statement's own count is what refused, this one says why.
        const now = await unfinishedOf(db, userId);
        if (now.count >= limits.uploads) {
          throw new Errors.tooManyUnfinishedUploads(now.count, limits.uploads);
        }
        throw new Errors.unfinishedUploadBytes(now.bytes + length, limits.bytes);
      }
      const row = await findUpload(db, id);
      if (!row) throw new Errors.uploadNotFound(id);
      return row;
    },

    find: (id) => findUpload(db, id),

    async append(id, offset, source) {
      const begun = await beginAppend(db, id, offset);
      if (!begun) throw await whyNoLease(id, offset);
      const { token, key } = begun;
      const renewal = setInterval(() => {
        renewLease(db, id, token).catch((error) =>
          log.warn({ err: error, uploadId: id }, 'could not renew an upload lease'),
        );
      }, LEASE_MS / 3);
      let committed = false;
      try {
        await removeParts(
          begun.leftovers.map((left) => ({ key: left, uploadId: id, offset, size: null })),
        );
        if (begun.parts >= MAX_PARTS) throw new Errors.tooManyParts(MAX_PARTS);

        const head =
          offset === 0 ? (await sniffFirstPart(source, id, begun.length)).head : undefined;
        const meter = byteCounter();
        if (head) meter.write(head);
        source.once('error', (error) => meter.destroy(error));
        source.pipe(meter);

        await fileStore.storeSoundFile(key, meter);
        if (meter.size === 0) return offset;
        const moved = await commitPart(db, { uploadId: id, key, offset, size: meter.size, token });
        if (moved === undefined) throw await whyNoLease(id, offset);
        committed = true;
        return moved;
      } finally {
        clearInterval(renewal);
        if (!committed) {
          await removeParts([{ key, uploadId: id, offset, size: null }]).catch((error) =>
            log.warn({ err: error, key }, 'could not remove an unrecorded part; the reaper will'),
          );
          await releaseLease(db, id, token).catch((error) =>
            log.warn(
              { err: error, uploadId: id },
              'could not release an upload lease; it runs out',
            ),
          );
        }
      }
    },

    async finish(id) {
      const upload = await findUpload(db, id);
      if (!upload) throw new Errors.uploadNotFound(id);
      if (upload.soundId) {
        const sound = await findSoundById(db, upload.soundId);
        if (sound) return sound;
        throw new Errors.soundNotFound(upload.soundId);
      }
      if (upload.offset !== upload.length) throw new Errors.uploadOffsetMismatch();
      const sound = await withLease(id, upload.length, async () => {
        const parts = (await partsOf(db, id)).filter((part) => part.size !== null);
        const heartbeat = new Heartbeat(publishing);
        try {
          await uploadAllowance(db, upload.userId, quota);
          const stored = await composeSound(upload, parts, heartbeat);
          return await publishStoredUpload(stored, upload.title ?? undefined, publishing);
        } catch (error) {
          // Refused (not audio, too long, over quota): its bytes will never make a sound.
          if (isRefusal(error)) await terminate(id);
          throw error;
        } finally {
          heartbeat.stop();
        }
      });
      await markPublished(db, id, sound.id);
      deps.onPublished();
      await removeParts(await partsOf(db, id)).catch((error) =>
        log.warn(
          { err: error, uploadId: id },
          'could not remove the parts of an upload; the reaper will',
        ),
      );
      return sound;
    },

    terminate,

    async reap() {
      const uploads = await uploadsToReap(db, 100);
      let handled = 0;
      for (const upload of uploads) {
        try {
          if (upload.soundId && upload.expiresAt > new Date()) {
            await removeParts(await partsOf(db, upload.id));
          } else {
            await terminate(upload.id);
          }
          handled += 1;
        } catch (error) {
          log.warn({ err: error, uploadId: upload.id }, 'could not reap an upload; next pass');
        }
      }
      return handled;
    },
  };
}

function isRefusal(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status !== undefined && status >= 400 && status < 500;
}

import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { FileStore } from '../backends/file-store.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { SoundRow } from '../db/schema.ts';
import { Errors } from '../lib/errors.ts';
import { extensionOf, hasExtensionOf } from '../media/formats.ts';
import type { UploadCheck } from '../media/upload-check.ts';
import { retryFailedSound } from '../processing/jobs.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { deleteSound } from './delete.ts';
import { cleanTitle } from './names.ts';
import { listPageJson } from './page-query.ts';
import type { ServedFile, SoundFileDelivery } from './playback.ts';
import { soundListJson, soundsUrlOf } from './present.ts';
import { quotaUseOf } from './quota.ts';
import { createReadCache } from './read-cache.ts';
import { reapUnfinishedSounds } from './reaper.ts';
import { findReadySound, renameSound } from './repository.ts';
import { prefixQuery } from './search-text.ts';
import { type ReceivedUpload, receiveUpload } from './upload.ts';

export interface ListQuery {
  limit: number;
  userId?: number | undefined;
  /** Words to search titles and filenames for, as the client typed them. */
  q?: string | undefined;
  /** As the client sent it: opaque, decoded here. */
  cursor?: string | undefined;
}

/** The files a sound has: what was uploaded, and what processing made of it. */
export type SoundFile = 'original' | 'stream' | 'waveform';

/**
 * Everything the API does with sounds, behind one interface: the routes call these and shape
 * the answer; the repository, the flows and the read cache stay behind it. Every write goes
 * through here, so this replica forgets its cached reads the moment a sound appears or
 * disappears — a new write operation cannot forget to.
 */
export interface SoundsService {
  /**
   * A page of the listing, newest first, as the JSON text of a `SoundList` (written by
   * Postgres, see page-query.ts). That text is what the read cache keeps, so a hot page is
   * queried once per READ_CACHE_TTL_MS.
   */
  listPage(query: ListQuery): Promise<string>;
  /** A `ready` sound; 404 otherwise. */
  find(id: string): Promise<SoundRow>;
  /**
   * Which of a sound's files to send and what it is: the untouched original, or, once
   * processing is ready, its listening rendition or waveform (404 before). How it is sent is
   * the route's choice (sendStoredFile).
   */
  fileToSend(id: string, file: SoundFile): Promise<SoundFileDelivery>;
  /** Gives `userId`'s sound `id` a new title (403 for someone else's, 404 for none). */
  rename(id: string, userId: number, title: string): Promise<SoundRow>;
  /** Receives the multipart upload of `request` for `userId`; resolves to the new sound. */
  upload(request: FastifyRequest, userId: number): Promise<ReceivedUpload>;
  /**
   * Queues `userId`'s failed sound `id` for processing again (403 for someone else's, 404 for
   * none, 409 when it did not fail); resolves to it, now `pending`.
   */
  retry(id: string, userId: number): Promise<SoundRow>;
  /** Deletes `userId`'s sound `id` (403 for someone else's, 404 for none). */
  remove(id: string, userId: number, log: FastifyBaseLogger): Promise<void>;
  /** What `userId` holds against their quota, and the quota. */
  quotaOf(userId: number): Promise<{
    storage: { usedBytes: number; limitBytes: number };
    pendingSounds: { count: number; limit: number };
  }>;
  /** One reaper pass over unfinished uploads and deletes; resolves to the rows removed. */
  reap(): Promise<number>;
  /**
   * How many files of listed sounds this process has found missing from file_store since it
   * started (each file counted once, however often it was asked for).
   */
  missingFilesSeen(): number;
  /**
   * Sounds changed outside this service's own writes (processing finished here, or another
   * process wrote: the database's `sound_events` notice): what this replica has cached of
   * them is stale.
   */
  changed(): void;
}

export interface SoundsServiceDependencies {
  /** Called once a sound is published, its processing job waiting. */
  onPublished(): void;
  db: Database;
  fileStore: FileStore;
  uploadCheck: UploadCheck;
  log: FastifyBaseLogger;
  config: Pick<
    Config,
    | 'READ_CACHE_TTL_MS'
    | 'PUBLIC_URL'
    | 'MAX_UPLOAD_BYTES'
    | 'MAX_DURATION_MS'
    | 'USER_STORAGE_BYTES'
    | 'USER_PENDING_SOUNDS'
    | 'REAPER_STALE_AFTER_MS'
  >;
}

export function createSoundsService(deps: SoundsServiceDependencies): SoundsService {
  const { db, fileStore, config } = deps;
  const soundsUrl = soundsUrlOf(config.PUBLIC_URL);
  // Listing pages (rendered, up to ~35 KB each) and ready sounds by id (~0.5 KB). Entries of
  // an older generation linger until evicted: the bounds keep that to a few MiB.
  const ttlMs = config.READ_CACHE_TTL_MS;
  const pages = createReadCache<string>({ ttlMs, maxEntries: 100 });
  const readySounds = createReadCache<SoundRow>({ ttlMs, maxEntries: 2000 });
  const forgetReads = () => {
    pages.invalidate();
    readySounds.invalidate();
  };

  // Keys only, one per missing file: as many as the operator has files to restore.
  const missingKeys = new Set<string>();
  const reportMissing = (served: ServedFile) => {
    if (missingKeys.has(served.key)) return false;
    missingKeys.add(served.key);
    return true;
  };

  async function find(id: string): Promise<SoundRow> {
    const sound = await readySounds.get(id, () => findReadySound(db, id));
    if (!sound) throw new Errors.soundNotFound(id);
    return sound;
  }

  return {
    async listPage({ limit, userId, q, cursor }) {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const search = q === undefined ? undefined : prefixQuery(q);
      const key = `${limit}:${userId ?? ''}:${search ?? ''}:${cursor ?? ''}`;
      const page = await pages.get(key, async () => {
        const { items, next } = await listPageJson(db, { limit, userId, search, after, soundsUrl });
        return soundListJson(items, next ? encodeCursor(next) : null);
      });
      // A rendered page is never undefined, so the cache always has an answer.
      return page as string;
    },

    find,

    async fileToSend(id, file) {
      const sound = await find(id);
      const served = servedFile(sound, file);
      if (!served) throw new Errors.soundNotFound(id);
      return {
        soundId: sound.id,
        served,
        // A sound remembered here may have been deleted by another replica: ask the database.
        isStillReady: async () => Boolean(await findReadySound(db, sound.id)),
        reportMissing,
      };
    },

    async rename(id, userId, rawTitle) {
      const title = cleanTitle(rawTitle);
      if (!title) throw new Errors.emptyTitle();
      const sound = await findReadySound(db, id);
      if (!sound) throw new Errors.soundNotFound(id);
      if (sound.userId !== userId) throw new Errors.notOwner();
      const renamed = await renameSound(db, sound, title);
      if (!renamed) throw new Errors.soundNotFound(id);
      forgetReads();
      return renamed;
    },

    async upload(request, userId) {
      const received = await receiveUpload(request, userId, {
        db,
        fileStore,
        uploadCheck: deps.uploadCheck,
        log: request.log,
        maxUploadBytes: config.MAX_UPLOAD_BYTES,
        maxDurationMs: config.MAX_DURATION_MS,
        quota: {
          storageBytes: config.USER_STORAGE_BYTES,
          pendingSounds: config.USER_PENDING_SOUNDS,
        },
        heartbeatMs: Math.max(250, Math.floor(config.REAPER_STALE_AFTER_MS / 4)),
      });
      forgetReads();
      deps.onPublished();
      return received;
    },

    async retry(id, userId) {
      const outcome = await retryFailedSound(db, id, userId);
      if (outcome === 'not-found') throw new Errors.soundNotFound(id);
      if (outcome === 'not-owner') throw new Errors.notOwner();
      if (outcome === 'not-failed') throw new Errors.notFailed((await find(id)).processing);
      forgetReads();
      deps.onPublished();
      return find(id);
    },

    remove(id, userId, log) {
      return deleteSound({ db, fileStore, log, onUnlisted: forgetReads }, id, userId);
    },

    changed: forgetReads,

    async quotaOf(userId) {
      const use = await quotaUseOf(db, userId);
      return {
        storage: { usedBytes: use.storedBytes, limitBytes: config.USER_STORAGE_BYTES },
        pendingSounds: { count: use.pendingSounds, limit: config.USER_PENDING_SOUNDS },
      };
    },

    missingFilesSeen: () => missingKeys.size,

    reap() {
      return reapUnfinishedSounds({
        db,
        fileStore,
        log: deps.log,
        staleAfterMs: config.REAPER_STALE_AFTER_MS,
      });
    },
  };
}

/** Where a sound's `file` is and how it is served; undefined when it does not exist (yet). */
function servedFile(sound: SoundRow, file: SoundFile): ServedFile | undefined {
  const stem = sound.filename.replace(/\.[^.]*$/, '') || 'sound';
  if (file === 'original') {
    return {
      key: sound.storageKey,
      kind: 'original',
      contentType: sound.contentType,
      filename: downloadName(sound.filename, sound.contentType),
      size: sound.size,
    };
  }
  if (sound.processing !== 'ready') return undefined;
  if (file === 'stream' && sound.streamKey && sound.streamContentType) {
    return {
      key: sound.streamKey,
      kind: 'rendition',
      contentType: sound.streamContentType,
      filename: `${stem}.${sound.streamContentType === 'audio/mpeg' ? 'mp3' : 'audio'}`,
      size: sound.streamSize ?? 0,
    };
  }
  if (file === 'waveform' && sound.waveformKey) {
    return {
      key: sound.waveformKey,
      kind: 'waveform',
      contentType: 'application/json; charset=utf-8',
      filename: `${stem}.waveform.json`,
      size: 0,
    };
  }
  return undefined;
}

/**
 * The name a download of the original gets: the uploader's, ending the way files of the type
 * the decoder found end (a WAV uploaded as `track.exe` downloads as `track.wav`).
 */
function downloadName(filename: string, contentType: string): string {
  const extension = extensionOf(contentType);
  if (!extension || hasExtensionOf(filename, contentType)) return filename;
  return `${filename.replace(/\.[^.]*$/, '') || 'sound'}${extension}`;
}

import { create as contentDisposition } from 'content-disposition';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FileStore, OpenedFile } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
import type { SoundRow } from '../db/schema.ts';
import { Errors, errorBody } from '../lib/errors.ts';

// What the browser asks (ranges, revalidation) goes through to file_store unchanged…
const FORWARDED_REQUEST_HEADERS = [
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
] as const;
// …and what file_store answers about the bytes comes back unchanged.
const FORWARDED_REPLY_HEADERS = [
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
] as const;

/** One of a sound's files in file_store, and how it is served. */
export interface ServedFile {
  key: string;
  /** What it is, in words: `original`, `rendition`, `waveform`. */
  kind: string;
  contentType: string;
  /** The name a browser saves it under (Content-Disposition). */
  filename: string;
  /** Its size, for a 416's Content-Range should file_store not give one. */
  size: number;
}

/**
 * GET and HEAD of a sound's file (the original, its listening rendition, its waveform):
 * file_store's bytes, with its answer to Range (206, 416) and conditional requests (304), but
 * the file's own Content-Type and name. A client that goes away aborts the upstream request,
 * so no transfer runs on for nobody.
 */
export async function sendStoredFile(
  fileStore: FileStore,
  sound: Pick<SoundRow, 'id'>,
  served: ServedFile,
  request: FastifyRequest,
  reply: FastifyReply,
  /** Asks the database (not a cache) whether the sound is still `ready`. */
  isStillReady: () => Promise<boolean>,
  /** Told when a `ready` sound's file is missing from file_store; true the first time for it. */
  reportMissing: (served: ServedFile) => boolean,
): Promise<FastifyReply> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const upstream = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) upstream.abort();
  });

  let file: OpenedFile;
  try {
    file = await fileStore.openSoundFile(served.key, {
      method: request.method === 'HEAD' ? 'HEAD' : 'GET',
      headers,
      signal: upstream.signal,
    });
  } catch (error) {
    // The client hung up while the file was opening (a seek, a closed tab): not an outage of
    // file_store, and there is nobody left to answer.
    if (upstream.signal.aborted) {
      request.log.info({ soundId: sound.id }, 'the client left before playback started');
      return reply.hijack();
    }
    throw error;
  }

  if (file.statusCode === 416) {
    await discardBody(file.body);
    const error = new Errors.rangeNotSatisfiable();
    return reply
      .code(416)
      .header('content-range', String(file.headers['content-range'] ?? `bytes */${served.size}`))
      .send(errorBody(416, error.code, error.message));
  }
  if (![200, 206, 304].includes(file.statusCode)) {
    await discardBody(file.body);
    if (file.statusCode === 404) {
      // Deleted since it was looked up (by another replica, within the read cache's TTL)…
      if (!(await isStillReady())) throw new Errors.soundNotFound(sound.id);
      // …or a real inconsistency, for the operator: it will not heal by retrying, so not a
      // 503. Logged as an error the first time this process sees it, counted in /ready.
      const details = { soundId: sound.id, file: served.kind, key: served.key };
      if (reportMissing(served)) request.log.error(details, 'a ready sound has no file');
      else request.log.info(details, 'a ready sound has no file (seen before)');
      throw new Errors.fileMissing(served.kind, sound.id);
    }
    throw new Errors.storageUnavailable({
      cause: new Error(`file_store answered ${file.statusCode}`),
    });
  }

  for (const name of FORWARDED_REPLY_HEADERS) {
    const value = file.headers[name];
    if (value !== undefined) reply.header(name, value);
  }
  reply
    .code(file.statusCode)
    .header('accept-ranges', 'bytes')
    .header('content-type', served.contentType)
    .header('content-disposition', contentDisposition(served.filename, { type: 'inline' }))
    // A file's bytes never change (a new file gets a new key), so caches may keep them.
    .header('cache-control', 'public, max-age=31536000, immutable');
  return reply.send(file.body);
}

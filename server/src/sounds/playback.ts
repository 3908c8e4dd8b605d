import { create as contentDisposition } from 'content-disposition';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FileStore, OpenedFile } from '../backends/file-store.ts';
import { discardBody } from '../backends/http.ts';
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

/** One of a sound's files to send, as the sounds service found it. */
export interface SoundFileDelivery {
  soundId: string;
  served: ServedFile;
  /** Asks the database (not a cache) whether the sound is still `ready`. */
  isStillReady(): Promise<boolean>;
  /** Told when a `ready` sound's file is missing from file_store; true the first time for it. */
  reportMissing(served: ServedFile): boolean;
}

/**
 * Sends one of a sound's files, one of two ways with the same statuses, headers and bytes:
 * handed to the API gateway when the request came through it and it said it takes transfers
 * (`viaGateway`: nginx then fetches the bytes from file_store and feeds the client, however
 * slowly it reads, and the API is done at once), else streamed through this process.
 */
export function sendStoredFile(
  fileStore: FileStore,
  delivery: SoundFileDelivery,
  request: FastifyRequest,
  reply: FastifyReply,
  viaGateway: boolean,
): Promise<FastifyReply> | FastifyReply {
  if (viaGateway) return handToGateway(fileStore, delivery.served, reply);
  return streamStoredFile(fileStore, delivery, request, reply);
}

/** The headers of a file's answer that only the API knows: what it is and how to keep it. */
function fileHeaders(served: ServedFile): Record<string, string> {
  return {
    'accept-ranges': 'bytes',
    'content-type': served.contentType,
    'content-disposition': contentDisposition(served.filename, { type: 'inline' }),
    // A file's bytes never change (a new file gets a new key), so caches may keep them.
    'cache-control': 'public, max-age=31536000, immutable',
  };
}

/** Where the headers nginx would otherwise carry over to an error answer travel (files.conf). */
const GATEWAY_HEADER_PREFIX = 'x-file-';

/**
 * The gateway's half (X-Accel-Redirect): this answer's headers, and where nginx fetches the
 * bytes itself. file_store answers the Range and conditional headers (206, 304); when it
 * answers anything else (a missing file, a range outside it, an outage), the gateway asks this
 * API again without offering to take the transfer, so that the error is the API's own
 * (gateway/nginx/files.conf). nginx would keep Content-Disposition, Cache-Control and
 * Accept-Ranges of this answer on that error too, so they go as `X-File-*` headers, which
 * files.conf adds to file_store's answer only.
 */
function handToGateway(fileStore: FileStore, served: ServedFile, reply: FastifyReply) {
  for (const [name, value] of Object.entries(fileHeaders(served))) {
    reply.header(name === 'content-type' ? name : GATEWAY_HEADER_PREFIX + name, value);
  }
  return reply.header('x-accel-redirect', fileStore.gatewayPath(served.key)).send('');
}

/**
 * GET and HEAD of a sound's file (the original, its listening rendition, its waveform):
 * file_store's bytes, with its answer to Range (206, 416) and conditional requests (304), but
 * the file's own Content-Type and name. A client that goes away aborts the upstream request,
 * so no transfer runs on for nobody.
 */
async function streamStoredFile(
  fileStore: FileStore,
  { soundId, served, isStillReady, reportMissing }: SoundFileDelivery,
  request: FastifyRequest,
  reply: FastifyReply,
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
      request.log.info({ soundId }, 'the client left before playback started');
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
      if (!(await isStillReady())) throw new Errors.soundNotFound(soundId);
      // …or a real inconsistency, for the operator: it will not heal by retrying, so not a
      // 503. Logged as an error the first time this process sees it, counted in /ready.
      const details = { soundId, file: served.kind, key: served.key };
      if (reportMissing(served)) request.log.error(details, 'a ready sound has no file');
      else request.log.info(details, 'a ready sound has no file (seen before)');
      throw new Errors.fileMissing(served.kind, soundId);
    }
    throw new Errors.storageUnavailable({
      cause: new Error(`file_store answered ${file.statusCode}`),
    });
  }

  for (const name of FORWARDED_REPLY_HEADERS) {
    const value = file.headers[name];
    if (value !== undefined) reply.header(name, value);
  }
  return reply.code(file.statusCode).headers(fileHeaders(served)).send(file.body);
}

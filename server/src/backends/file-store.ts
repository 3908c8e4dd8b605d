import { createHash, randomBytes } from 'node:crypto';
import { pipeline, type Readable, Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import { Errors } from '../lib/errors.ts';
import {
  type BackendTimeouts,
  callDeadline,
  createPool,
  createSlots,
  discardBody,
  NoFreeSlot,
} from './http.ts';

export interface OpenedFile {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
  /** The bytes (empty for HEAD, 304 and 416); always consume or dump it. */
  body: Dispatcher.ResponseData['body'];
}

/** One file the store holds, as its listing names it. */
export interface StoredFileEntry {
  /** file_store's name for it: the SHA-256 of its key, in hex (see storedFileName). */
  name: string;
  /** Its key; null for a file stored before file_store recorded keys (known by name only). */
  key: string | null;
}

/**
 * Where sound files live. Everything the API does with stored bytes goes through these
 * functions (store, open, delete, and compose for resumable uploads, like GCS's compose or S3's
 * multipart completion), so an object store could replace file_store without touching a route.
 * (The listing is for the consistency audit only.)
 */
export interface FileStore {
  /** Streams `source` to the store under `key`; rejects (and stores nothing) on any failure. */
  storeSoundFile(key: string, source: Readable, signal?: AbortSignal): Promise<void>;
  /** Opens the file, passing HTTP conditional and Range headers through. */
  openSoundFile(
    key: string,
    options: { method: 'GET' | 'HEAD'; headers: Record<string, string>; signal?: AbortSignal },
  ): Promise<OpenedFile>;
  /** Deletes the file; a file that is already gone counts as deleted. */
  deleteSoundFile(key: string): Promise<void>;
  /**
   * Has the store join the files of `sourceKeys`, in order, into one file under `key` (replacing
   * any file there at once, never in part) and resolves to its size; the sources stay for the
   * caller to delete. The bytes never leave file_store, which answers once the copy is on disk.
   * A missing source rejects with a plain Error naming it: the store lost what we stored.
   */
  composeSoundFile(key: string, sourceKeys: string[]): Promise<number>;
  /** Where ffmpeg and ffprobe read the file (by HTTP, with Range). */
  readUrl(key: string): string;
  /**
   * Where the API gateway fetches the file itself when the API hands a transfer to it
   * (`X-Accel-Redirect`): a path of the gateway's internal location for file_store
   * (gateway/nginx/files.conf), never reachable from outside.
   */
  gatewayPath(key: string): string;
  /**
   * Every file the store holds, read as file_store sends them (never all at once); rejects
   * (503) when the listing cannot be had whole, so a cut listing is never taken for all of it.
   */
  listStoredFiles(): AsyncIterable<StoredFileEntry>;
  /** Resolves when file_store answers its health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How many connections each kind of traffic to file_store may hold at once. */
export interface FileStoreLimits {
  /** Uploads streaming in (each holds a connection for as long as its client sends). */
  uploads: number;
  /** Playbacks streaming out (each holds a connection for as long as its client reads). */
  playbacks: number;
  /** Short calls: deletes, HEAD requests, health checks. */
  control: number;
}

/** The FILE_STORE_*_CONNECTIONS settings. */
export function fileStoreLimits(
  config: Pick<
    Config,
    | 'FILE_STORE_UPLOAD_CONNECTIONS'
    | 'FILE_STORE_PLAYBACK_CONNECTIONS'
    | 'FILE_STORE_CONTROL_CONNECTIONS'
  >,
): FileStoreLimits {
  return {
    uploads: config.FILE_STORE_UPLOAD_CONNECTIONS,
    playbacks: config.FILE_STORE_PLAYBACK_CONNECTIONS,
    control: config.FILE_STORE_CONTROL_CONNECTIONS,
  };
}

/**
 * The file_store client. Transfers and short calls never share connections: uploads and
 * playbacks each have their own number of slots on the transfer pool (a slow client holds
 * one for as long as it is slow), and deletes and health checks have a pool of their own, so
 * clients that stop reading or trickle their uploads can exhaust only their own kind. A
 * request that finds no slot or connection within BACKEND_QUEUE_TIMEOUT_MS is a 503.
 */
export function createFileStore(
  baseUrl: string,
  timeouts: BackendTimeouts,
  limits: FileStoreLimits,
): FileStore {
  const fileStoreBase = baseUrl.replace(/\/+$/, '');
  const transfers = createPool(baseUrl, timeouts, limits.uploads + limits.playbacks);
  const control = createPool(baseUrl, timeouts, limits.control);
  const uploadSlots = createSlots(limits.uploads, timeouts.queueTimeout);
  const playbackSlots = createSlots(limits.playbacks, timeouts.queueTimeout);

  function unavailable(cause: unknown): Error {
    return cause instanceof NoFreeSlot
      ? new Errors.storageBusy({ cause })
      : new Errors.storageUnavailable({ cause });
  }

  async function takeSlot(slots: typeof uploadSlots) {
    try {
      return await slots.take();
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  async function expectStatus(response: Dispatcher.ResponseData, ...accepted: number[]) {
    await discardBody(response.body);
    if (!accepted.includes(response.statusCode)) {
      throw unavailable(new Error(`file_store answered ${response.statusCode}`));
    }
  }

  return {
    async storeSoundFile(key, source, signal) {
      const boundary = `----cloud-sound-${randomBytes(12).toString('hex')}`;
      const release = await takeSlot(uploadSlots);
      let response: Dispatcher.ResponseData;
      try {
        response = await transfers.request({
          method: 'POST',
          path: '/files/',
          // No Content-Length: the size is unknown until the client's stream ends, so undici
          // sends the body chunked, exactly as fast as file_store takes it (backpressure).
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          body: asMultipartBody(boundary, key, source),
          signal,
        });
      } catch (cause) {
        throw unavailable(cause);
      } finally {
        release();
      }
      await expectStatus(response, 200, 201);
    },

    async openSoundFile(key, { method, headers, signal }) {
      // A HEAD moves no bytes: it is a short call.
      if (method === 'HEAD') {
        try {
          const response = await control.request({
            method,
            path: filePath(key),
            headers,
            signal: withDeadline(signal),
          });
          return {
            statusCode: response.statusCode,
            headers: response.headers,
            body: response.body,
          };
        } catch (cause) {
          throw unavailable(cause);
        }
      }
      const release = await takeSlot(playbackSlots);
      try {
        const response = await transfers.request({ method, path: filePath(key), headers, signal });
        // The connection is busy until the body has been read to its end or dropped.
        response.body.once('close', release);
        return { statusCode: response.statusCode, headers: response.headers, body: response.body };
      } catch (cause) {
        release();
        throw unavailable(cause);
      }
    },

    async deleteSoundFile(key) {
      let response: Dispatcher.ResponseData;
      try {
        response = await control.request({
          method: 'DELETE',
          path: filePath(key),
          signal: callDeadline(timeouts),
        });
      } catch (cause) {
        throw unavailable(cause);
      }
      await expectStatus(response, 200, 204, 404);
    },

    async composeSoundFile(key, sourceKeys) {
      // A transfer's worth of disk work on file_store's side: it takes an upload slot, so
      // joins and uploads together never hold more connections than uploads alone may.
      const release = await takeSlot(uploadSlots);
      let response: Dispatcher.ResponseData;
      try {
        response = await transfers.request({
          method: 'POST',
          path: '/compose',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: key, sources: sourceKeys }),
          headersTimeout: COMPOSE_HEADERS_TIMEOUT_MS,
        });
      } catch (cause) {
        throw unavailable(cause);
      } finally {
        release();
      }
      if (response.statusCode === 404) {
        const reply = ((await response.body.json().catch(() => null)) ?? {}) as ErrorReply;
        if (reply.code === 'SOURCE_NOT_FOUND') {
          throw new Error(`Cannot compose ${JSON.stringify(key)} in file_store: ${reply.message}`);
        }
      }
      if (response.statusCode !== 201) await expectStatus(response, 201);
      let size: unknown;
      try {
        ({ size } = (await response.body.json()) as { size?: unknown });
      } catch (cause) {
        throw unavailable(cause);
      }
      if (!Number.isSafeInteger(size)) {
        throw unavailable(new Error('file_store answered a compose without its size'));
      }
      return size as number;
    },

    readUrl: (key) => fileStoreBase + filePath(key),

    gatewayPath: (key) => GATEWAY_FILE_STORE_PREFIX + filePath(key),

    async *listStoredFiles() {
      // The deadline covers the wait for the answer's headers only: the listing itself may
      // stream for minutes, and undici's body timeout bounds each pause in it.
      const headersDeadline = new AbortController();
      const timer = setTimeout(
        () => headersDeadline.abort(new Error('file_store did not start its listing in time')),
        timeouts.queueTimeout + timeouts.connectTimeout + timeouts.headersTimeout,
      );
      let response: Dispatcher.ResponseData;
      try {
        response = await control.request({
          method: 'GET',
          path: '/files/',
          signal: headersDeadline.signal,
        });
      } catch (cause) {
        throw unavailable(cause);
      } finally {
        clearTimeout(timer);
      }
      if (response.statusCode !== 200) await expectStatus(response, 200);
      try {
        yield* parseListing(response.body);
      } catch (cause) {
        throw unavailable(cause);
      } finally {
        // Stopped early (or failed): the rest of the listing is not wanted.
        if (!response.body.readableEnded) response.body.destroy();
      }
    },

    async ping() {
      let response: Dispatcher.ResponseData;
      try {
        response = await control.request({
          method: 'GET',
          path: '/health',
          signal: callDeadline(timeouts),
        });
      } catch (cause) {
        throw unavailable(cause);
      }
      await expectStatus(response, 200);
    },

    close: async () => {
      await Promise.all([transfers.close(), control.close()]);
    },
  };

  function withDeadline(signal: AbortSignal | undefined): AbortSignal {
    const deadline = callDeadline(timeouts);
    return signal ? AbortSignal.any([signal, deadline]) : deadline;
  }
}

/**
 * file_store answers a compose only once the whole copy is on its disk: seconds for 4 GiB on a
 * plain disk, far longer on a slow or busy one. The usual headers timeout would cut it.
 */
const COMPOSE_HEADERS_TIMEOUT_MS = 10 * 60_000;

/** The fields of file_store's JSON error body that the client reads. */
interface ErrorReply {
  code?: string;
  message?: string;
}

/** file_store's name for the file of `key` (the SHA-256 of the key in hex), as its listing gives. */
export function storedFileName(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** file_store's listing, one `{"name", "id"}` JSON object a line, read as it arrives. */
async function* parseListing(body: AsyncIterable<Buffer>): AsyncGenerator<StoredFileEntry> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const entry = (line: string): StoredFileEntry => {
    const parsed = JSON.parse(line) as { name?: unknown; id?: unknown };
    if (typeof parsed.name !== 'string' || !(typeof parsed.id === 'string' || parsed.id === null)) {
      throw new Error(`file_store listed something that is not a file: ${line.slice(0, 200)}`);
    }
    return { name: parsed.name, key: parsed.id };
  };
  for await (const chunk of body) {
    pending += decoder.write(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line) yield entry(line);
  }
  pending += decoder.end();
  if (pending) throw new Error('file_store ended its listing in the middle of a line');
}

/** The gateway's internal location for file_store: what follows it is file_store's own path. */
const GATEWAY_FILE_STORE_PREFIX = '/_file_store';

function filePath(key: string): string {
  return `/files/${encodeURIComponent(key)}`;
}

/**
 * `source` framed as a one-part multipart/form-data body whose field name is the file id, as
 * file_store expects. A Transform rather than a generator: each chunk passes straight through,
 * with no promise per chunk on the hot path of every upload.
 */
function asMultipartBody(boundary: string, key: string, source: Readable): Readable {
  const framed = new Transform({
    construct(callback) {
      this.push(
        `--${boundary}\r\n` +
          `Content-Disposition: form-data; name="${key}"; filename="${key}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      );
      callback();
    },
    transform(chunk, _encoding, callback) {
      callback(null, chunk);
    },
    flush(callback) {
      callback(null, `\r\n--${boundary}--\r\n`);
    },
  });
  // A failing source fails the body (and so the request); a failing request stops the source.
  return pipeline(source, framed, () => {});
}

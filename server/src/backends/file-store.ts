import { randomBytes } from 'node:crypto';
import { pipeline, type Readable, Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Errors } from '../lib/errors.ts';
import { type BackendTimeouts, createPool, discardBody } from './http.ts';

export interface OpenedFile {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
  /** The bytes (empty for HEAD, 304 and 416); always consume or dump it. */
  body: Dispatcher.ResponseData['body'];
}

/**
 * Where sound files live. Everything the API does with stored bytes goes through these three
 * functions, so an S3-style object store could replace file_store without touching a route.
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
  /** Resolves when file_store answers its health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createFileStore(baseUrl: string, timeouts: BackendTimeouts): FileStore {
  const pool = createPool(baseUrl, timeouts);
  function unavailable(cause: unknown): Error {
    return new Errors.storageUnavailable({ cause });
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
      let response: Dispatcher.ResponseData;
      try {
        response = await pool.request({
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
      }
      await expectStatus(response, 200, 201);
    },

    async openSoundFile(key, { method, headers, signal }) {
      try {
        const response = await pool.request({ method, path: filePath(key), headers, signal });
        return { statusCode: response.statusCode, headers: response.headers, body: response.body };
      } catch (cause) {
        throw unavailable(cause);
      }
    },

    async deleteSoundFile(key) {
      let response: Dispatcher.ResponseData;
      try {
        response = await pool.request({ method: 'DELETE', path: filePath(key) });
      } catch (cause) {
        throw unavailable(cause);
      }
      await expectStatus(response, 200, 204, 404);
    },

    async ping() {
      let response: Dispatcher.ResponseData;
      try {
        response = await pool.request({ method: 'GET', path: '/health' });
      } catch (cause) {
        throw unavailable(cause);
      }
      await expectStatus(response, 200);
    },

    close: () => pool.close(),
  };
}

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

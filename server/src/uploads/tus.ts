import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Server } from '@tus/server';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import { Errors } from '../lib/errors.ts';
import type { ResumableUploadsService } from './service.ts';

/** Where the tus endpoint lives: `POST /uploads`, then `HEAD|PATCH|DELETE /uploads/{id}`. */
export const UPLOADS_PATH = '/uploads';

/** An upload id: 128 random bits, base64url. */
export const UPLOAD_ID_PATTERN = '^[A-Za-z0-9_-]{22}$';

/**
 * One request handed to tus: who sends it (the route checked them), and the error tus met, if
 * any, for the API to answer in its own shape. Kept in async context because tus calls its
 * data store without the request.
 */
export interface TusCall {
  userId: number;
  error?: unknown;
}

const calls = new AsyncLocalStorage<TusCall>();

export function runTusCall<T>(call: TusCall, handle: () => Promise<T>): Promise<T> {
  return calls.run(call, handle);
}

function currentCall(): TusCall {
  const call = calls.getStore();
  if (!call) throw new Error('tus called its data store outside a request');
  return call;
}

/** @tus/server's data store, on the resumable uploads service (parts in file_store). */
class PartsDataStore extends DataStore {
  readonly #uploads: ResumableUploadsService;
  readonly #expiryMs: number;

  constructor(uploads: ResumableUploadsService, expiryMs: number) {
    super();
    this.#uploads = uploads;
    this.#expiryMs = expiryMs;
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const row = await this.#uploads.create({
      id: upload.id,
      userId: currentCall().userId,
      // Creation without a length (deferred) is not offered, so tus always has one.
      length: upload.size ?? 0,
      metadata: upload.metadata,
    });
    upload.creation_date = row.createdAt.toISOString();
    return upload;
  }

  override write(stream: Readable, id: string, offset: number): Promise<number> {
    return this.#uploads.append(id, offset, stream);
  }

  override async getUpload(id: string): Promise<Upload> {
    // Read afresh, never the route's row: tus asks after waiting for its lock, and a request
    // that held it may have moved the offset meanwhile.
    const row = await this.#uploads.find(id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      size: row.length,
      offset: row.offset,
      metadata: row.metadata ?? undefined,
      creation_date: row.createdAt.toISOString(),
    });
  }

  override remove(id: string): Promise<void> {
    return this.#uploads.terminate(id);
  }

  override deleteExpired(): Promise<number> {
    return this.#uploads.reap();
  }

  override getExpiration(): number {
    return this.#expiryMs;
  }
}

export function createTusServer(
  uploads: ResumableUploadsService,
  options: { maxBytes: number; expiryMs: number },
): Server {
  return new Server({
    path: UPLOADS_PATH,
    datastore: new PartsDataStore(uploads, options.expiryMs),
    maxSize: options.maxBytes,
    namingFunction: () => randomBytes(16).toString('base64url'),
    // Relative: right behind the gateway and in front of it alike.
    relativeLocation: true,
    // A request for an upload that this process is still appending to (a client back after a
    // lost connection, whose old request has not noticed yet) stops the old one after this
    // long; the old one keeps what it received.
    lockDrainTimeout: 1_000,
    async onUploadFinish(_request, upload) {
      const sound = await uploads.finish(upload.id);
      return { headers: { [SOUND_ID_HEADER]: sound.id } };
    },
    // tus answers errors in text; the route answers them in the API's shape instead.
    async onResponseError(_request, error) {
      currentCall().error = error;
      return undefined;
    },
  });
}

/** On a finished upload's last PATCH and its HEAD: the sound it became. */
export const SOUND_ID_HEADER = 'Sound-Id';

/**
 * An error tus met (or answered itself) as the API's error: ours pass through; tus's own,
 * known by their text, get a code and a sentence.
 */
export function asApiError(error: unknown, uploadId: string, maxBytes: number): Error {
  if (error instanceof Error && 'statusCode' in error) return error;
  const { status_code: status, body = '' } = error as { status_code?: number; body?: string };
  switch (body) {
    case ERRORS.FILE_NOT_FOUND.body:
      return new Errors.uploadNotFound(uploadId);
    case ERRORS.FILE_NO_LONGER_EXISTS.body:
      return new Errors.uploadExpired();
    case ERRORS.INVALID_OFFSET.body:
      return new Errors.uploadOffsetMismatch();
    case ERRORS.ERR_LOCK_TIMEOUT.body:
      return new Errors.uploadBusy();
    case ERRORS.ABORTED.body:
      return new Errors.uploadAborted();
    case ERRORS.ERR_MAX_SIZE_EXCEEDED.body:
      return new Errors.uploadTooLarge(`An upload may have at most ${maxBytes} bytes`);
    case ERRORS.ERR_SIZE_EXCEEDED.body:
      return new Errors.uploadTooLarge('The body would take the upload past its Upload-Length');
    case ERRORS.MISSING_OFFSET.body:
      return new Errors.tusRequest('Send Upload-Offset: where these bytes start');
    case ERRORS.INVALID_CONTENT_TYPE.body:
      return new Errors.tusRequest(
        'Send the bytes as Content-Type: application/offset+octet-stream',
      );
    case ERRORS.INVALID_LENGTH.body:
      return new Errors.tusRequest('Send Upload-Length: the whole file’s size in bytes');
    case ERRORS.INVALID_METADATA.body:
      return new Errors.tusRequest(
        'Upload-Metadata must be comma-separated pairs of a key and a base64 value',
      );
  }
  if (status === 412) return new Errors.tusVersion();
  if (status !== undefined && status < 500) return new Errors.tusRequest(body.trim());
  if (status !== undefined && status >= 501) {
    return new Errors.tusRequest(`Not supported here: ${body.trim()}`);
  }
  return new Error(`tus failed: ${body.trim() || String(error)}`);
}

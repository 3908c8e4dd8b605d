import type { Readable } from 'node:stream';
import { Type } from 'typebox';

export { ErrorShape as ErrorReply } from '@cloud-sound/service-kit/errors';

export const Health = Type.Object({ status: Type.Literal('ok') });

export const UploadReply = Type.Object({
  ids: Type.Array(Type.String(), { description: 'ids stored by this request, in upload order' }),
});

/** `/files/*`: the wildcard holds the whole (already percent-decoded) id, slashes included. */
export const FileParams = Type.Object({
  '*': Type.String({ description: 'file id, URL-encoded; any string of 1..1024 UTF-8 bytes' }),
});

/**
 * The file's bytes, streamed from disk (never serialized: Fastify pipes streams as they are);
 * no body for HEAD.
 */
export const FileBytes = Type.Unsafe<Readable | undefined>({ type: 'string', format: 'binary' });

/**
 * `GET /files/`: newline-delimited JSON, one `{"name": <sha256 of the id, hex>, "id": <the id,
 * or null when not recorded>}` per stored file; streamed, never serialized as one value.
 */
export const FileListing = Type.Unsafe<Readable>({
  type: 'string',
  description: 'application/x-ndjson: one {"name", "id"} object per line',
});

/** 204 and 304 replies: headers only. */
export const NoBody = Type.Unsafe<undefined>({ description: 'no body' });

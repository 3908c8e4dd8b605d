import type { Readable } from 'node:stream';
import { Type } from 'typebox';

export { ErrorShape as ErrorReply } from '@cloud-sound/service-kit/errors';

export const Health = Type.Object({ status: Type.Literal('ok') });

export const UploadReply = Type.Object({
  ids: Type.Array(Type.String(), { description: 'ids stored by this request, in upload order' }),
});

/** A 4 GiB file in parts of 512 KiB (tus PATCHes) or more. */
export const MAX_COMPOSE_SOURCES = 10_000;

/** `POST /compose`: ids are checked by checkFileId, like every other id. */
export const ComposeRequest = Type.Object(
  {
    id: Type.String({ description: 'the new file’s id; it may be one of the sources' }),
    sources: Type.Array(Type.String(), {
      minItems: 1,
      maxItems: MAX_COMPOSE_SOURCES,
      description: 'ids of the files to concatenate, in order; they are kept',
    }),
  },
  { additionalProperties: false },
);

export const ComposeReply = Type.Object({
  id: Type.String(),
  size: Type.Integer({ description: 'bytes in the new file' }),
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

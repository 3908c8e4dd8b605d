import { HttpError } from '@cloud-sound/service-kit/errors';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fresh from 'fresh';
import { chooseByteRange } from './byte-range.ts';
import { checkFileId } from './file-id.ts';
import { ErrorReply, FileBytes, FileParams, NoBody } from './schemas.ts';
import type { FileStorage } from './storage.ts';

export interface FileRoutesOptions {
  storage: FileStorage;
}

/**
 * `GET|HEAD|DELETE /files/<id>`. A wildcard rather than `:id` so that ids containing "/" (sent
 * as %2F or even raw) reach us; the router percent-decodes the wildcard exactly once.
 */
export const fileRoutes: FastifyPluginAsyncTypebox<FileRoutesOptions> = async (
  app,
  { storage },
) => {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/files/*',
    schema: {
      summary: 'Stream a file, with byte ranges and conditional requests',
      params: FileParams,
      response: {
        200: FileBytes,
        206: FileBytes,
        304: NoBody,
        400: ErrorReply,
        404: ErrorReply,
        416: ErrorReply,
      },
    },
    handler: async (request, reply) => {
      const id = checkFileId(request.params['*']);
      const file = await storage.openFile(id);
      if (!file) throw fileNotFound(id);

      // The read stream takes over the file and lets go of it when done or destroyed
      // (Fastify destroys it if the client goes away); every other path closes it here.
      let handedToStream = false;
      try {
        const lastModified = file.modifiedAt.toUTCString();
        reply
          .header('accept-ranges', 'bytes')
          .header('etag', file.etag)
          .header('last-modified', lastModified);
        if (fresh(request.headers, { etag: file.etag, 'last-modified': lastModified })) {
          return reply.code(304).send(undefined);
        }

        const range = chooseByteRange(file.size, request.headers, {
          etag: file.etag,
          lastModified,
        });
        if (range.kind === 'unsatisfiable') {
          reply.header('content-range', `bytes */${file.size}`);
          throw new HttpError(416, 'RANGE_NOT_SATISFIABLE', `The file has ${file.size} bytes`);
        }
        const { start, end } = range.kind === 'part' ? range : { start: 0, end: file.size - 1 };
        if (range.kind === 'part') {
          reply.code(206).header('content-range', `bytes ${start}-${end}/${file.size}`);
        }
        // Set by hand: Fastify cannot know a stream's length, and HEAD must tell it too.
        reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', String(end - start + 1));
        if (request.method === 'HEAD' || end < start) return reply.send(undefined);

        handedToStream = true;
        return reply.send(file.createReadStream({ start, end }));
      } finally {
        if (!handedToStream) await file.close();
      }
    },
  });

  app.delete(
    '/files/*',
    {
      schema: {
        summary: 'Delete a file',
        params: FileParams,
        response: { 204: NoBody, 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const id = checkFileId(request.params['*']);
      if (!(await storage.deleteFile(id))) throw fileNotFound(id);
      return reply.code(204).send(undefined);
    },
  );
};

function fileNotFound(id: string): HttpError {
  return new HttpError(404, 'FILE_NOT_FOUND', `No file with id ${JSON.stringify(id)}`);
}

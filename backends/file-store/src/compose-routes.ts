import { errorBody, HttpError } from '@cloud-sound/service-kit/errors';
import {
  type FastifyPluginAsyncTypebox,
  TypeBoxValidatorCompiler,
} from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorHandler } from './errors.ts';
import { checkFileId, MAX_ID_BYTES } from './file-id.ts';
import { ComposeReply, ComposeRequest, ErrorReply, MAX_COMPOSE_SOURCES } from './schemas.ts';
import { ComposedTooLarge, type FileStorage, SourceNotFound } from './storage.ts';

export interface ComposeRoutesOptions {
  storage: FileStorage;
  maxFileBytes: number;
}

/**
 * Room for every valid body: the target and MAX_COMPOSE_SOURCES ids of MAX_ID_BYTES, even if
 * each byte is a control character JSON escapes as `\u00XX` (6 bytes), with quotes and commas.
 */
const BODY_LIMIT = (MAX_COMPOSE_SOURCES + 1) * (6 * MAX_ID_BYTES + 3) + 1024;

/**
 * `POST /compose`: concatenates stored files into a new one on file_store's own disk, as Google
 * Cloud Storage's compose does, so the API can join a resumable upload's parts without moving
 * the bytes through itself. Not one of the assignment's endpoints. No byte is copied: the new
 * file is a composite of hard links to the sources' data (see openFileStorage), on disk when
 * the answer comes; the sources are left for the caller to delete.
 */
export const composeRoutes: FastifyPluginAsyncTypebox<ComposeRoutesOptions> = async (
  app,
  { storage, maxFileBytes },
) => {
  app.post(
    '/compose',
    {
      bodyLimit: BODY_LIMIT,
      // TypeBox checks the body as sent: Fastify's default Ajv would coerce `"sources": "a"`
      // to `["a"]` and a number id to a string, and silently drop unknown fields.
      validatorCompiler: TypeBoxValidatorCompiler,
      errorHandler: composeErrorHandler,
      schema: {
        summary: 'Concatenate stored files, in order, into a new file',
        body: ComposeRequest,
        response: {
          201: ComposeReply,
          400: ErrorReply,
          404: ErrorReply,
          413: ErrorReply,
          415: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const id = checkFileId(request.body.id);
      const sourceIds = request.body.sources.map(checkFileId);
      // Nothing moves on the connection while the compose runs, whose flush may wait long on
      // a busy disk: the server's idle limit (connectionTimeout) must not cut it meanwhile.
      const { socket } = request.raw;
      socket.setTimeout(0);
      try {
        const size = await storage.composeFile(id, sourceIds, maxFileBytes);
        return reply.code(201).send({ id, size });
      } catch (error) {
        if (error instanceof SourceNotFound) {
          throw new HttpError(404, 'SOURCE_NOT_FOUND', error.message);
        }
        if (error instanceof ComposedTooLarge) {
          throw new HttpError(413, 'FILE_TOO_LARGE', `A file is at most ${maxFileBytes} bytes`);
        }
        throw error;
      } finally {
        socket.setTimeout(app.server.timeout);
      }
    },
  );
};

/**
 * The body's own errors in user_api's words (the app-wide handler speaks of multipart forms);
 * everything else as every route answers it.
 */
function composeErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.validation || error.code?.startsWith('FST_ERR_CTP_')) {
    const { statusCode, code } = bodyErrors[error.code] ?? {
      statusCode: 400,
      code: 'INVALID_BODY',
    };
    return reply.code(statusCode).send(errorBody(statusCode, code, error.message));
  }
  return errorHandler(error, request, reply);
}

const bodyErrors: Record<string, { statusCode: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { statusCode: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
};

import { errorBody, HttpError } from '@cloud-sound/service-kit/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

// Fastify's and @fastify/multipart's own codes, translated to ours so clients see one vocabulary.
const knownErrors: Record<string, { statusCode: number; code: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { statusCode: 415, code: 'NOT_MULTIPART' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { statusCode: 415, code: 'NOT_MULTIPART' },
  FST_REQ_FILE_TOO_LARGE: { statusCode: 413, code: 'FILE_TOO_LARGE' },
  FST_PARTS_LIMIT: { statusCode: 413, code: 'TOO_MANY_PARTS' },
  FST_FILES_LIMIT: { statusCode: 413, code: 'TOO_MANY_PARTS' },
  FST_FIELDS_LIMIT: { statusCode: 413, code: 'TOO_MANY_PARTS' },
  // @fastify/multipart refuses field names such as "constructor" or "__proto__".
  FST_PROTO_VIOLATION: { statusCode: 400, code: 'ID_NOT_ALLOWED' },
  FST_MP_PREMATURE_CLOSE: { statusCode: 400, code: 'UPLOAD_ABORTED' },
  FST_ERR_BAD_URL: { statusCode: 400, code: 'INVALID_ID' },
};

/** Maps any error to our stable reply codes; only 5xx details are hidden (and logged). */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) {
    return reply
      .code(error.statusCode)
      .send(errorBody(error.statusCode, error.code, error.message));
  }
  const known = knownErrors[error.code];
  if (known) {
    return reply
      .code(known.statusCode)
      .send(errorBody(known.statusCode, known.code, error.message));
  }
  const status = error.statusCode ?? 500;
  if (status < 500) {
    return reply.code(status).send(errorBody(status, 'BAD_REQUEST', error.message));
  }
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(errorBody(500, 'INTERNAL_ERROR', 'Internal Server Error'));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const message = `Route ${request.method} ${request.url} not found`;
  return reply.code(404).send(errorBody(404, 'ROUTE_NOT_FOUND', message));
}

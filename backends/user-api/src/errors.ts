import { errorBody, HttpError } from '@cloud-sound/service-kit/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** Maps any error to our stable reply codes; only 5xx details are hidden (and logged). */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) {
    return reply
      .code(error.statusCode)
      .send(errorBody(error.statusCode, error.code, error.message));
  }
  if (error.validation) {
    const code = error.validationContext === 'params' ? 'INVALID_USER_ID' : 'INVALID_BODY';
    return reply.code(400).send(errorBody(400, code, error.message));
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.code(413).send(errorBody(413, 'BODY_TOO_LARGE', error.message));
  }
  // A body that is not JSON at all: 415, as its status says.
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply.code(415).send(errorBody(415, 'UNSUPPORTED_MEDIA_TYPE', error.message));
  }
  // Malformed or empty JSON: a bad body, 400 (user_api's contract).
  if (error.code?.startsWith('FST_ERR_CTP_')) {
    return reply.code(400).send(errorBody(400, 'INVALID_BODY', error.message));
  }
  const status = error.statusCode ?? 500;
  if (status < 500) {
    return reply.code(status).send(errorBody(status, error.code ?? 'BAD_REQUEST', error.message));
  }
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(errorBody(500, 'INTERNAL_ERROR', 'Internal Server Error'));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const message = `Route ${request.method} ${request.url} not found`;
  return reply.code(404).send(errorBody(404, 'ROUTE_NOT_FOUND', message));
}

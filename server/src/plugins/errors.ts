import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { Errors, errorBody } from '../lib/errors.ts';
import { errorReplies } from '../schemas/replies.ts';

/** Our own 5xx errors (503s) carry messages written for clients; any other 5xx does not. */
const OWN_CODES = new Set<string>(Object.values(Errors).map((ErrorClass) => new ErrorClass().code));

/** Codes of errors raised by Fastify and its plugins, renamed into our stable vocabulary. */
const FRAMEWORK_CODES: Record<string, { code: string; statusCode?: number }> = {
  FST_ERR_VALIDATION: { code: 'INVALID_REQUEST' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_CONTENT_TYPE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_REQUEST' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { code: 'NOT_MULTIPART', statusCode: 415 },
  FST_REQ_FILE_TOO_LARGE: { code: 'FILE_TOO_LARGE', statusCode: 413 },
  FST_FILES_LIMIT: { code: 'TOO_MANY_FILES', statusCode: 400 },
  FST_PARTS_LIMIT: { code: 'TOO_MANY_PARTS', statusCode: 400 },
  FST_FIELDS_LIMIT: { code: 'TOO_MANY_FIELDS', statusCode: 400 },
  FST_PROTO_VIOLATION: { code: 'INVALID_REQUEST', statusCode: 400 },
  FST_ERR_NOT_FOUND: { code: 'ROUTE_NOT_FOUND' },
};

/**
 * The one error handler: every failure becomes `{statusCode, error, message, code}`. Below 500
 * the message is for the client; at 500 and above it is generic and the cause is logged.
 */
/** Methods whose requests Fastify reads a body of (and so may refuse for its size or type). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export default fp(
  async (fastify) => {
    // Answers any request can get before its handler runs (documented on every operation):
    // a malformed or too slow request, an unmet Expect, headers too large; for methods with a
    // body, one too large or of a type the route does not take; for a path with parameters,
    // one too long.
    fastify.addHook('onRoute', (route) => {
      if (!route.schema?.response || route.schema.hide) return;
      const statuses = [400, 408, 417, 431];
      if ([route.method].flat().some((method) => BODY_METHODS.has(method))) statuses.push(413, 415);
      if (route.url.includes(':')) statuses.push(414);
      route.schema.response = {
        ...errorReplies(...statuses),
        ...(route.schema.response as object),
      };
    });

    fastify.setErrorHandler((thrown: FastifyError, request, reply) => {
      // A database that cannot answer is an outage to wait out (503), not a bug of ours.
      const error: FastifyError = isDatabaseUnavailable(thrown)
        ? new Errors.databaseUnavailable({ cause: thrown })
        : thrown;
      const renamed = error.code ? FRAMEWORK_CODES[error.code] : undefined;
      let statusCode = renamed?.statusCode ?? error.statusCode ?? 500;
      if (statusCode < 400 || statusCode > 599) statusCode = 500;
      const code = renamed?.code ?? error.code;

      // A body still arriving is read and discarded after this answer (plugins/linger.ts).
      if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code, message: error.message }, 'request rejected');

      const exposed = statusCode < 500 || (code !== undefined && OWN_CODES.has(code));
      return reply
        .code(statusCode)
        .send(
          errorBody(
            statusCode,
            exposed && code ? code : statusCode >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST',
            exposed ? error.message : 'Something went wrong on our side',
          ),
        );
    });

    fastify.setNotFoundHandler((request, reply) =>
      reply
        .code(404)
        .send(errorBody(404, 'ROUTE_NOT_FOUND', `No route for ${request.method} ${request.url}`)),
    );
  },
  { name: 'errors' },
);

import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.ts';
import { discardRest, type LingerLimits } from './lingering-close.ts';

/*
 * Requests that never reach a route, answered by Node or Fastify before our error handler
 * could: they get the same error shape as everything else.
 */

/**
 * Node's HTTP parser refused the request (bad bytes, headers too large, too slow). The socket
 * is all there is: write a minimal response on it and close it. A request refused for its
 * bytes may have a body still coming: the close lingers (reads and drops it, within `limits`)
 * so the answer is not lost to a reset. One that took too long is closed at once.
 */
export function clientErrorHandler(
  limits: LingerLimits,
): (error: Error & { code?: string }, socket: Socket) => void {
  // Node's parser raises an error for each further chunk of a request it has refused.
  const closing = new WeakSet<Socket>();
  return (error, socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed || closing.has(socket)) return;
    const tooSlow = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const [statusCode, code, message] = tooSlow
      ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'The request headers are too large']
        : [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP/1.1'];
    if (!socket.writable || tooSlow) {
      if (socket.writable) socket.write(rawAnswer(statusCode, code, message));
      socket.destroy(error);
      return;
    }
    closing.add(socket);
    // The parser is done with this connection: what still arrives is only read to be dropped.
    socket.removeAllListeners('data');
    socket.end(rawAnswer(statusCode, code, message));
    discardRest(socket, limits, { end: () => socket.destroy(), giveUp: () => socket.destroy() });
  };
}

function rawAnswer(statusCode: number, code: string, message: string): string {
  const body = JSON.stringify(errorBody(statusCode, code, message));
  return (
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** Errors Fastify raises while routing, before a route (and its error handler) is chosen. */
export function frameworkErrors(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const [statusCode, code, message] =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? [414, 'URI_TOO_LONG', 'A path segment of the URL is too long']
      : [400, 'INVALID_REQUEST', 'The URL could not be decoded'];
  void reply.code(statusCode).send(errorBody(statusCode, code, message));
}

/**
 * An `Expect` other than `100-continue`, which Node answers with an empty 417 by default: the
 * same 417, with our body.
 */
export function answerUnmetExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify(
    errorBody(417, 'EXPECTATION_FAILED', 'The only expectation supported is 100-continue'),
  );
  response.writeHead(417, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

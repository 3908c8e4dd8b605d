import { compile } from '@fastify/proxy-addr';
import type { FastifyRequest } from 'fastify';

/** What the API gateway says it does with an `X-Accel-Redirect` answer (Rack's convention). */
const SENDFILE_TYPE_HEADER = 'x-sendfile-type';
const X_ACCEL_REDIRECT = 'X-Accel-Redirect';

/**
 * Whether a request came through the API gateway and the gateway offered to move the file's
 * bytes itself (`X-Sendfile-Type: X-Accel-Redirect`). Believed only from the addresses
 * TRUST_PROXY names, as X-Forwarded-For is: from anyone else, the header could make the API
 * answer with an internal path and no bytes.
 */
export function gatewayTakesTransfers(trustProxy: string[]): (request: FastifyRequest) => boolean {
  if (trustProxy.length === 0) return () => false;
  const trusted = compile(trustProxy);
  return (request) =>
    request.headers[SENDFILE_TYPE_HEADER] === X_ACCEL_REDIRECT &&
    trusted(request.socket.remoteAddress ?? '', 0);
}

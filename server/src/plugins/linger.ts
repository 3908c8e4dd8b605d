import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';
import { discardRest, type LingerLimits } from '../lib/lingering-close.ts';

/**
 * Lingering close (`lib/lingering-close.ts`) for a request answered while its body is still
 * arriving (an upload refused for its user, its type, its size or a rate limit): the rest of the
 * body is read and thrown away, within LINGER_TIMEOUT_MS and LINGER_MAX_BYTES, and the
 * connection stays usable once the body has been read to its end.
 */
export default fp(
  async (fastify) => {
    const { LINGER_TIMEOUT_MS, LINGER_MAX_BYTES } = fastify.config;

    fastify.addHook('onSend', async (request, reply) => {
      const body = request.raw;
      if (!body.complete && !body.destroyed) {
        // Node closes the socket right after the answer (and so resets it, the body still
        // coming) whenever the answer says `Connection: close`: when Fastify asks for it after
        // a body it could not parse, and when the client asked for it. The answer keeps the
        // connection; once the body has been read to its end, a client that asked to close is
        // closed on.
        reply.removeHeader('connection');
        reply.raw.shouldKeepAlive = true;
        const clientAskedToClose = /\bclose\b/i.test(request.headers.connection ?? '');
        discardRestOfBody(
          body,
          { timeoutMs: LINGER_TIMEOUT_MS, maxBytes: LINGER_MAX_BYTES },
          clientAskedToClose ? () => body.socket.end() : () => {},
        );
      }
    });
  },
  { name: 'linger', dependencies: ['config'] },
);

function discardRestOfBody(body: IncomingMessage, limits: LingerLimits, onEnd: () => void): void {
  // Whoever was reading it (the multipart parser) has given up on it.
  body.unpipe();
  body.removeAllListeners('data');
  discardRest(body, limits, { end: onEnd, giveUp: () => body.socket.destroy() });
}

import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';

/**
 * Lingering close, as nginx does it (`lingering_close`): when the API answers a request whose
 * body is still arriving (an upload refused for its user, its type, its size or a rate limit),
 * it goes on reading the rest of the body and throws it away, for at most LINGER_TIMEOUT_MS and
 * LINGER_MAX_BYTES, and only then may the connection close. Closing at once, with the client's
 * bytes still coming in, makes the kernel reset the connection, and a client that is still
 * writing (Node's fetch, and so generated clients) fails with EPIPE without ever reading the
 * answer. The connection stays usable once the body has been read to its end.
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
        discardRestOfBody(body, {
          timeoutMs: LINGER_TIMEOUT_MS,
          maxBytes: LINGER_MAX_BYTES,
          onEnd: clientAskedToClose ? () => body.socket.end() : () => {},
        });
      }
    });
  },
  { name: 'linger', dependencies: ['config'] },
);

function discardRestOfBody(
  body: IncomingMessage,
  limits: { timeoutMs: number; maxBytes: number; onEnd: () => void },
): void {
  // Whoever was reading it (the multipart parser) has given up on it.
  body.unpipe();
  body.removeAllListeners('data');

  let discarded = 0;
  const giveUp = () => {
    stop();
    body.socket.destroy();
  };
  const timer = setTimeout(giveUp, limits.timeoutMs);
  const count = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.maxBytes) giveUp();
  };
  const ended = () => {
    stop();
    limits.onEnd();
  };
  function stop() {
    clearTimeout(timer);
    body.off('data', count);
    body.off('end', ended);
    body.off('close', stop);
  }
  body.on('data', count);
  body.once('end', ended);
  body.once('close', stop);
  body.resume();
}

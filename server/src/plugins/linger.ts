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
        // Fastify asks for `Connection: close` after a body it could not parse; Node would
        // then close (and reset) the socket right after the answer.
        reply.removeHeader('connection');
        discardRestOfBody(body, { timeoutMs: LINGER_TIMEOUT_MS, maxBytes: LINGER_MAX_BYTES });
      }
    });
  },
  { name: 'linger', dependencies: ['config'] },
);

function discardRestOfBody(
  body: IncomingMessage,
  limits: { timeoutMs: number; maxBytes: number },
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
  function stop() {
    clearTimeout(timer);
    body.off('data', count);
    body.off('end', stop);
    body.off('close', stop);
  }
  body.on('data', count);
  body.once('end', stop);
  body.once('close', stop);
  body.resume();
}

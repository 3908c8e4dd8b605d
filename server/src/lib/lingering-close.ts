import type { Readable } from 'node:stream';

export interface LingerLimits {
  timeoutMs: number;
  maxBytes: number;
}

/**
 * Lingering close, as nginx does it (`lingering_close`): reads what the client is still sending
 * and throws it away, for at most `timeoutMs` and `maxBytes`, so the answer already written is
 * not lost to a reset. Closing a connection with unread bytes makes the kernel reset it, and a
 * client that is still writing fails (EPIPE, ECONNRESET) without reading the answer.
 * `onEnd` runs when the client's bytes end within the limits, `onGiveUp` otherwise.
 */
export function discardRest(
  source: Readable,
  limits: LingerLimits,
  on: { end: () => void; giveUp: () => void },
): void {
  let discarded = 0;
  const giveUp = () => {
    stop();
    on.giveUp();
  };
  const timer = setTimeout(giveUp, limits.timeoutMs);
  const count = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.maxBytes) giveUp();
  };
  const ended = () => {
    stop();
    on.end();
  };
  function stop() {
    clearTimeout(timer);
    source.off('data', count);
    source.off('end', ended);
    source.off('close', stop);
  }
  source.on('data', count);
  source.once('end', ended);
  source.once('close', stop);
  source.resume();
}

import type { Readable } from 'node:stream';

/**
 * Reads up to `size` bytes from the start of a stream without ending it: the rest stays in
 * the stream for whoever reads next. Fewer bytes come back only when the stream ends first.
 */
export async function readHead(stream: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  const onEnd = () => {
    ended = true;
  };
  stream.once('end', onEnd);
  try {
    while (length < size && !ended) {
      const chunk: Buffer | null = stream.read();
      if (chunk !== null) {
        chunks.push(chunk);
        length += chunk.length;
        continue;
      }
      if (stream.destroyed) throw stream.errored ?? new Error('stream closed before its end');
      await nextEvent(stream);
    }
  } finally {
    stream.off('end', onEnd);
  }
  const head = Buffer.concat(chunks);
  // Bytes past `size` go back to the front of the stream.
  if (head.length > size) stream.unshift(head.subarray(size));
  return head.subarray(0, size);
}

function nextEvent(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const events = ['readable', 'end', 'close'] as const;
    const done = () => {
      for (const event of events) stream.off(event, done);
      stream.off('error', fail);
      resolve();
    };
    const fail = (error: Error) => {
      for (const event of events) stream.off(event, done);
      reject(error);
    };
    for (const event of events) stream.once(event, done);
    stream.once('error', fail);
  });
}

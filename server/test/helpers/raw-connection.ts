import { connect } from 'node:net';

/**
 * Writes `text` on a fresh connection, then reads until the server closes it or `waitMs`
 * passes. `keepWriting` (if any) is written every 200 ms meanwhile.
 */
export async function exchange(
  baseUrl: string,
  text: string | Buffer,
  options: { waitMs?: number; keepWriting?: string } = {},
): Promise<{ reply: string; closed: boolean }> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  let reply = '';
  socket.on('data', (chunk: Buffer) => {
    reply += chunk.toString('latin1');
  });
  const closedEvent = new Promise<true>((resolve) => socket.once('close', () => resolve(true)));
  socket.write(text);
  const dribble = options.keepWriting
    ? setInterval(() => {
        if (socket.writable) socket.write(options.keepWriting as string);
      }, 200)
    : undefined;
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    closedEvent,
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), options.waitMs ?? 5_000);
    }),
  ]);
  clearTimeout(timer);
  clearInterval(dribble);
  if (!closed) socket.destroy();
  return { reply, closed };
}

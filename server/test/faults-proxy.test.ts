import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './helpers/fault-proxy.ts';

/** The fault proxy itself, in front of a TCP echo server. */

let echo: Server;
let proxy: FaultProxy;
beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const address = echo.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  proxy = await startFaultProxy({ host: '127.0.0.1', port: address.port });
});
afterEach(() => proxy.set({ mode: 'pass' }));
afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => echo?.close(resolve));
});

/** A client of the proxy that records what comes back and how the connection ended. */
async function openClient(): Promise<{
  socket: Socket;
  received: () => string;
  ended: Promise<string>;
}> {
  const socket = connect(proxy.port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  const ended = new Promise<string>((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('end', () => resolve('end'));
  });
  await once(socket, 'connect');
  return { socket, received: () => received, ended };
}

async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

describe('the fault proxy', () => {
  it('passes bytes both ways', async () => {
    const client = await openClient();
    client.socket.write('hello');
    await waitFor(() => client.received() === 'hello');
    client.socket.destroy();
  });

  it('refuses connections and resets open ones, then listens again on the same port', async () => {
    const open = await openClient();
    await proxy.set({ mode: 'refuse' });
    expect(await open.ended).toBe('ECONNRESET');

    const refused = connect(proxy.port, '127.0.0.1');
    const [error] = (await once(refused, 'error').catch((thrown) => [thrown])) as [
      NodeJS.ErrnoException,
    ];
    expect(error.code).toBe('ECONNREFUSED');

    await proxy.set({ mode: 'pass' });
    const again = await openClient();
    again.socket.write('back');
    await waitFor(() => again.received() === 'back');
    again.socket.destroy();
  });

  it('delays every chunk by the latency', async () => {
    await proxy.set({ mode: 'latency', ms: 150 });
    const client = await openClient();
    const started = performance.now();
    client.socket.write('slow');
    await waitFor(() => client.received() === 'slow');
    // Once on the way there, once on the way back.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    client.socket.destroy();
  });

  it('stalls open connections, holding the bytes until the stall is lifted', async () => {
    const client = await openClient();
    await proxy.set({ mode: 'stall' });
    client.socket.write('held');
    await sleep(200);
    expect(client.received()).toBe('');
    await proxy.set({ mode: 'pass' });
    await waitFor(() => client.received() === 'held');
    client.socket.destroy();
  });

  it('resets a connection after the given number of bytes, counted both ways', async () => {
    await proxy.set({ mode: 'reset', afterBytes: 15 });
    const client = await openClient();
    client.socket.write('0123456789');
    // 10 bytes there, 5 of the echo back, then a reset.
    expect(await client.ended).toBe('ECONNRESET');
    expect(client.received()).toBe('01234');
  });

  it('resets new connections at once by default, and open ones on demand', async () => {
    const open = await openClient();
    proxy.resetConnections();
    expect(await open.ended).toBe('ECONNRESET');

    await proxy.set({ mode: 'reset' });
    const fresh = connect(proxy.port, '127.0.0.1');
    const [error] = (await once(fresh, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNRESET');
    expect(proxy.openConnections()).toBe(0);
  });
});

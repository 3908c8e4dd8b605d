import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the proxy does to the traffic, switchable at any time:
 * - `pass`: forwards everything unchanged.
 * - `refuse`: the dependency is down: the port refuses connections (its listener is closed)
 *   and every open connection is reset.
 * - `latency`: every chunk, either way, waits `ms` before it is forwarded.
 * - `stall`: nothing is forwarded any more, on open and new connections alike (new ones are
 *   still accepted): a hung process or a black-holed route. What was held back flows on once
 *   the mode changes, as it would when the route heals.
 * - `reset`: each connection, open or new, forwards `afterBytes` more bytes (both ways
 *   together; 0 by default) and is then reset (TCP RST) on both sides.
 * - `crash-before-reply`: requests still reach the dependency, and replies come back until the
 *   first one `matches` (any, by default): that one is lost, its connection reset, and the
 *   proxy turns to `refuse`, as if the dependency died right after doing the work and before
 *   answering it.
 */
export type Fault =
  | { mode: 'pass' }
  | { mode: 'refuse' }
  | { mode: 'latency'; ms: number }
  | { mode: 'stall' }
  | { mode: 'reset'; afterBytes?: number }
  | { mode: 'crash-before-reply'; matches?: (reply: Buffer) => boolean };

/** A TCP proxy between the API and one of its dependencies, injecting real network faults. */
export interface FaultProxy {
  /** The port the API connects to instead of the dependency's. */
  port: number;
  /** `targetUrl` with its host and port replaced by the proxy's. */
  urlFor(targetUrl: string): string;
  set(fault: Fault): Promise<void>;
  /** Resets every open connection now. */
  resetConnections(): void;
  /** How many connections pass through the proxy right now. */
  openConnections(): number;
  /** How many connections the proxy has accepted since it started. */
  acceptedConnections(): number;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket | undefined;
  /** Bytes this link may still forward before it is reset; undefined outside `reset`. */
  budget: number | undefined;
  reset(): void;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let fault: Fault = { mode: 'pass' };
  let stallLifted = Promise.resolve();
  let liftStall = () => {};
  const links = new Set<Link>();
  let accepted = 0;

  /** Waits as the current fault says before a chunk is forwarded. */
  async function beforeForwarding(): Promise<void> {
    while (fault.mode === 'stall') await stallLifted;
    if (fault.mode === 'latency') await sleep(fault.ms);
  }

  function budgetFor(current: Fault): number | undefined {
    return current.mode === 'reset' ? (current.afterBytes ?? 0) : undefined;
  }

  function accept(client: Socket): void {
    accepted += 1;
    client.on('error', () => {});
    const link: Link = {
      client,
      upstream: undefined,
      budget: budgetFor(fault),
      reset() {
        links.delete(link);
        resetSocket(client);
        if (link.upstream) resetSocket(link.upstream);
      },
    };
    links.add(link);
    if (link.budget === 0) {
      link.reset();
      return;
    }

    const upstream = connect({ port: target.port, host: target.host, allowHalfOpen: true });
    link.upstream = upstream;
    upstream.on('error', () => {});
    // A failure on either side (a dependency that cannot be reached, a reset) resets the other
    // side too; a clean close travels on as an end (see forward), and the link is done once
    // both sides are closed.
    const closed = (hadError: boolean) => {
      if (hadError) link.reset();
      else if (client.destroyed && upstream.destroyed) links.delete(link);
    };
    client.once('close', closed);
    upstream.once('close', closed);
    void forward(link, client, upstream);
    void forward(link, upstream, client);
  }

  /** Moves one direction's bytes, chunk by chunk, through the current fault. */
  async function forward(link: Link, from: Socket, to: Socket): Promise<void> {
    try {
      for await (const data of from) {
        const chunk = data as Buffer;
        await beforeForwarding();
        if (!links.has(link)) return;
        if (
          fault.mode === 'crash-before-reply' &&
          from === link.upstream &&
          (fault.matches?.(chunk) ?? true)
        ) {
          link.reset();
          await setFault({ mode: 'refuse' });
          return;
        }
        // The other side went away while this chunk waited (a stall, a latency).
        if (to.destroyed) {
          link.reset();
          return;
        }
        if (link.budget !== undefined && chunk.length >= link.budget) {
          // Forward what the budget allows, then reset once it has reached the kernel.
          to.write(chunk.subarray(0, link.budget), () => link.reset());
          link.budget = 0;
          return;
        }
        if (link.budget !== undefined) link.budget -= chunk.length;
        if (!to.write(chunk)) await drained(to);
      }
      // The end of one direction travels on, as a half-close.
      to.end();
    } catch {
      link.reset();
    }
  }

  async function setFault(next: Fault): Promise<void> {
    const previous = fault;
    fault = next;
    if (previous.mode === 'stall' && next.mode !== 'stall') liftStall();
    if (next.mode === 'stall' && previous.mode !== 'stall') {
      stallLifted = new Promise((resolve) => {
        liftStall = resolve;
      });
    }
    if (next.mode === 'refuse' && previous.mode !== 'refuse') {
      await closeListener(server);
      for (const link of [...links]) link.reset();
    }
    if (previous.mode === 'refuse' && next.mode !== 'refuse') {
      server = await listen(createServer({ allowHalfOpen: true }, accept), port);
    }
    for (const link of [...links]) {
      link.budget = budgetFor(next);
      if (link.budget === 0) link.reset();
    }
  }

  let server = await listen(createServer({ allowHalfOpen: true }, accept), 0);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the fault proxy has no port');
  const port = address.port;

  return {
    port,
    urlFor(targetUrl) {
      const url = new URL(targetUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString().replace(/\/$/, '');
    },
    set: setFault,
    resetConnections() {
      for (const link of [...links]) link.reset();
    },
    openConnections: () => links.size,
    acceptedConnections: () => accepted,
    async close() {
      liftStall();
      for (const link of [...links]) link.reset();
      if (fault.mode !== 'refuse') await closeListener(server);
    },
  };
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting; open connections are the caller's to end. */
function closeListener(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // close() waits for the open connections; the listening port itself is gone already.
    setImmediate(resolve);
  });
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // A socket still connecting has no connection to reset yet.
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

// Ports: free ones for a system of its own (tests, e2e, the benchmark), and, before anything
// starts on fixed ones, a check that each is free: a clear message naming the port and the
// setting that changes it beats a program dying with EADDRINUSE in the middle of four logs.
import { createServer } from 'node:net';
import getPort from 'get-port';

/** `count` distinct ports that nothing listens on right now. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await getPort());
  return [...ports];
}

/** Why `host:port` cannot be listened on, or undefined when it can. */
export async function whyBusy(host: string, port: number): Promise<string | undefined> {
  const code = await tryBind(host, port);
  if (code === undefined) return undefined;
  if (code === 'EADDRINUSE') return 'is already in use';
  if (code === 'EACCES') return 'may not be used by this user';
  return `cannot be bound (${code})`;
}

/** Listens on host:port for a moment; the error code if that fails. */
function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

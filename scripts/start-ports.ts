// Before anything starts, each program's port must be free: a clear message naming the port
// and its setting beats a child dying with EADDRINUSE in the middle of four logs.
import { createServer } from 'node:net';
import { PORT_SETTINGS, type StartSettings } from './start-settings.ts';

/** One message per port that cannot be bound; empty when all are free. */
export async function busyPorts(settings: StartSettings): Promise<string[]> {
  const problems: string[] = [];
  for (const setting of PORT_SETTINGS) {
    const port = settings.ports[setting.program];
    const code = await tryBind(settings.host, port);
    if (code === undefined) continue;
    const why =
      code === 'EADDRINUSE'
        ? 'is already in use'
        : code === 'EACCES'
          ? 'may not be used by this user'
          : `cannot be bound (${code})`;
    problems.push(
      `port ${port} (${setting.label}) ${why}; stop what holds it or choose another port with ${setting.variable}=<port>`,
    );
  }
  return problems;
}

/** Listens on host:port for a moment; the error code if that fails. */
function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

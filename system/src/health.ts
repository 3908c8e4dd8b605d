// Waits for a program to answer its health check. It polls the port with a bare TCP connect
// first (silent) and only then sends GET, so the programs' request logs show one health check,
// not one every 50 ms of their start-up.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 50;

/**
 * Resolves once GET `url` answers 2xx. `gaveUp` is asked before each try: a reason (the
 * program exited, the start was interrupted) ends the wait with that reason as the error.
 */
export async function waitHealthy(
  url: string,
  options: { timeoutMs: number; gaveUp: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const { hostname, port } = new URL(url);
  while (true) {
    const reason = options.gaveUp();
    if (reason) throw new Error(reason);
    if (Date.now() > deadline) {
      throw new Error(`${url} did not answer within ${options.timeoutMs} ms`);
    }
    if ((await accepts(hostname, Number(port))) && (await answersOk(url))) return;
    await sleep(POLL_MS);
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

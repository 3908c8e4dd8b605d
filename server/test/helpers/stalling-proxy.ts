import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';

/**
 * Where a request of a given method stops: at `request`, it is never passed on (the backend
 * never hears of it); at `response`, the backend does the work but its answer never comes
 * back. Either way the caller waits forever: the place to kill it.
 */
export type StallPoint = 'request' | 'response';

/**
 * An HTTP proxy in front of a real backend (file_store) that stalls chosen requests at a
 * chosen point, so a test can kill the API at an exact step of a flow: after the row turned
 * `deleting` but before the file is removed, or after it but before the row is deleted.
 * Everything else passes through unchanged, streamed both ways.
 */
export interface StallingProxy {
  url: string;
  /** From now on, stalls requests with this method at `point` (replacing any earlier rule). */
  stall(method: string, point: StallPoint): void;
  /** Passes requests with this method through again (those already stalled stay stalled). */
  passThrough(method: string): void;
  /** How many requests with this method have been stalled at `point` so far. */
  stalled(method: string, point: StallPoint): number;
  /** Closes the proxy, cutting every connection, stalled or not. */
  close(): Promise<void>;
}

export async function startStallingProxy(targetUrl: string): Promise<StallingProxy> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true });
  const rules = new Map<string, StallPoint>();
  const counts = new Map<string, number>();
  const count = (method: string, point: StallPoint) => {
    const key = `${method} ${point}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };

  function forward(request: IncomingMessage, response: ServerResponse, stallAnswer: boolean) {
    const method = request.method ?? 'GET';
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (answer) => {
        if (!stallAnswer) {
          response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
          answer.pipe(response);
          return;
        }
        // The backend has finished the work; its answer is read and dropped.
        answer.resume();
        answer.once('end', () => count(method, 'response'));
      },
    );
    upstream.once('error', () => response.destroy());
    // The caller went away (killed, aborted): so does the call to the backend, as it would.
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  }

  const server = createServer((request, response) => {
    const method = request.method ?? 'GET';
    const point = rules.get(method);
    if (point === 'request') {
      count(method, 'request');
      return;
    }
    forward(request, response, point === 'response');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    stall: (method, point) => rules.set(method, point),
    passThrough: (method) => rules.delete(method),
    stalled: (method, point) => counts.get(`${method} ${point}`) ?? 0,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

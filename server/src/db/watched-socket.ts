import { connect, type Socket } from 'node:net';
import { MESSAGE, REQUEST_CODE, WireMessages } from './wire-messages.ts';

/** The error a connection fails with when the server kept silent past the deadline. */
export class DatabaseTimeoutError extends Error {
  readonly code = 'DATABASE_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`the database sent nothing for ${timeoutMs} ms while a query waited`);
  }
}

/** The error queries fail with when their connection closed before answering. */
export class ConnectionLostError extends Error {
  // A postgres-js code, so it reads like the driver's own connection errors.
  readonly code = 'CONNECTION_CLOSED';
  constructor() {
    super('the connection to the database closed before the query was answered');
  }
}

/** What postgres-js hands its `socket` option: its parsed connection options. */
interface ConnectOptions {
  host: string[];
  port: number[];
  path?: string | false;
  ssl?: unknown;
}

/**
 * A socket factory for postgres-js's `socket` option. postgres-js has no client-side query
 * timeout: a server or network that goes silent (a stalled host, a dropped route) leaves the
 * query waiting forever, and every query queued behind it on the same connection. This
 * watchdog counts the requests sent and the answers received on each connection (from the
 * protocol's framing) and, once the server has been silent for `timeoutMs` while an answer is
 * due, destroys the socket: postgres-js then fails the queries on it with DatabaseTimeoutError
 * and opens a fresh connection for the next query. Idle connections are never touched.
 *
 * Over TLS the bytes cannot be read, so the socket is left unwatched there (connect_timeout and
 * the server's statement_timeout still apply).
 */
export function watchedSocketFactory(timeoutMs: number): (options: ConnectOptions) => Socket {
  let attempt = 0;
  return (options) => {
    // postgres-js skips its own connect() when given a socket, so rotate over hosts here.
    const index = attempt++ % options.host.length;
    const host = options.host[index] as string;
    const socket = options.path
      ? connect(options.path)
      : connect(options.port[index] ?? options.port[0] ?? 5432, host);
    // postgres-js names the TLS server after the socket's host (SNI), as its own sockets do.
    Object.assign(socket, { host, port: options.port[index] });
    if (!options.ssl) watch(socket, timeoutMs);
    return socket;
  };
}

function watch(socket: Socket, timeoutMs: number): void {
  // Sync, simple Query and start-up each get exactly one ReadyForQuery back; a Flush (sent
  // after a Describe) gets the statement's description.
  let readyForQueryDue = 0;
  let descriptionsDue = 0;
  let timer: NodeJS.Timeout | undefined;

  const answerDue = () => readyForQueryDue > 0 || descriptionsDue > 0;
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const silentTooLong = () => socket.destroy(new DatabaseTimeoutError(timeoutMs));

  const sent = new WireMessages(
    (message) => {
      if ('requestCode' in message) {
        if (message.requestCode === REQUEST_CODE.startup) readyForQueryDue += 1;
      } else if (message.type === MESSAGE.sync || message.type === MESSAGE.query) {
        readyForQueryDue += 1;
      } else if (message.type === MESSAGE.flush) {
        descriptionsDue += 1;
      }
    },
    { clientSide: true },
  );
  const received = new WireMessages(
    (message) => {
      if (!('type' in message)) return;
      if (message.type === MESSAGE.readyForQuery) {
        readyForQueryDue = Math.max(0, readyForQueryDue - 1);
      } else if (
        message.type === MESSAGE.rowDescription ||
        message.type === MESSAGE.noData ||
        message.type === MESSAGE.errorResponse
      ) {
        descriptionsDue = Math.max(0, descriptionsDue - 1);
      }
    },
    { clientSide: false },
  );

  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (chunk instanceof Uint8Array) sent.push(chunk);
    // Measured from the first unanswered request; later ones queue behind it.
    if (answerDue() && !timer) timer = setTimeout(silentTooLong, timeoutMs);
    return write(chunk, ...rest);
  }) as Socket['write'];

  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    // Any byte is progress: a long result keeps the connection alive while it streams.
    if (answerDue()) timer = timer ? timer.refresh() : setTimeout(silentTooLong, timeoutMs);
    else stop();
  });
  // postgres-js fails the queries in flight when the socket errs, but at the close that
  // follows (a moment later) it fails none, and a query written in between (to a connection
  // that still looked usable) would wait forever. So at the close, this listener (added before
  // postgres-js's) fails whatever is still unanswered; the same holds for a server that hangs
  // up cleanly during start-up, which postgres-js would otherwise retry without end.
  socket.once('close', () => {
    stop();
    if (answerDue()) socket.emit('error', new ConnectionLostError());
  });
}

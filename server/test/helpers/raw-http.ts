import { connect } from 'node:net';

/**
 * HTTP/1.1 by hand, for requests no HTTP client would send: duplicated or odd headers, bodies
 * shorter than their Content-Length, broken framing. One request per connection.
 */

export interface RawRequest {
  method: string;
  /** The request target exactly as written on the request line (path and query). */
  target: string;
  /** In order; a name may repeat. Host and Connection: close are added. */
  headers: Array<[string, string]>;
  body?: Uint8Array;
  /**
   * How the body is framed: `length` sends Content-Length and the body; `short` announces more
   * bytes than it sends and closes the connection a moment later, as a client that died
   * mid-body; `chunked` sends it with Transfer-Encoding; `none` sends neither header (the
   * body, if any, follows anyway).
   */
  framing: 'length' | 'short' | 'chunked' | 'none';
}

export interface RawAnswer {
  status: number;
  /** Lower-cased names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** False when the connection closed before the whole body (by its framing) arrived. */
  complete: boolean;
}

export function serializeRequest(request: RawRequest): Buffer {
  const body = Buffer.from(request.body ?? new Uint8Array());
  const lines = [
    `${request.method} ${request.target} HTTP/1.1`,
    'Host: fuzz.test',
    'Connection: close',
  ];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  let payload: Buffer = body;
  if (request.framing === 'length') lines.push(`Content-Length: ${body.length}`);
  if (request.framing === 'short')
    lines.push(`Content-Length: ${body.length + 1 + (body.length % 997)}`);
  if (request.framing === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
    payload = chunked(body);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload]);
}

/** The body in chunks of varying sizes, then the last, empty chunk. */
function chunked(body: Buffer): Buffer {
  const pieces: Buffer[] = [];
  for (let at = 0, size = 1; at < body.length; at += size, size = (size * 7) % 4093 || 1) {
    const piece = body.subarray(at, at + size);
    pieces.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(pieces);
}

/** How long a `short` request waits for an answer before its client gives up and closes. */
const SHORT_BODY_PATIENCE_MS = 100;

/**
 * Sends the request on a fresh connection and reads the answer: resolves once it is complete
 * by its own framing, or with what arrived when the server closes or `timeoutMs` pass
 * (undefined if not even a status line did).
 */
export function sendRaw(
  port: number,
  request: RawRequest,
  timeoutMs = 10_000,
): Promise<RawAnswer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      const answer = parseAnswer(Buffer.concat(chunks), request.method === 'HEAD', closed);
      if (answer === 'incomplete' && !closed) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer === 'incomplete' ? undefined : answer);
    };
    const patience = request.framing === 'short' ? SHORT_BODY_PATIENCE_MS : timeoutMs;
    const timer = setTimeout(() => finish(true), patience);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      finish(false);
    });
    // The server may answer and close before taking the whole body: not an error here.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    socket.once('connect', () => socket.write(serializeRequest(request)));
  });
}

/**
 * The first final (non-1xx) answer in `data`, or 'incomplete' while more is needed. When the
 * connection has closed, whatever arrived counts, flagged incomplete if cut short.
 */
function parseAnswer(data: Buffer, isHead: boolean, closed: boolean): RawAnswer | 'incomplete' {
  let offset = 0;
  while (true) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) return 'incomplete';
    const [statusLine = '', ...headerLines] = data
      .subarray(offset, headEnd)
      .toString('latin1')
      .split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!status) return 'incomplete';
    const bodyStart = headEnd + 4;
    if (status < 200) {
      offset = bodyStart;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const rest = data.subarray(bodyStart);
    if (isHead || status === 204 || status === 304) {
      return { status, headers, body: Buffer.alloc(0), complete: true };
    }
    // An event stream (GET /events) never ends: its head is the answer.
    if (status === 200 && headers['content-type']?.startsWith('text/event-stream')) {
      return { status, headers, body: Buffer.alloc(0), complete: true };
    }
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const body = dechunk(rest);
      if (body) return { status, headers, body, complete: true };
      return closed ? { status, headers, body: rest, complete: false } : 'incomplete';
    }
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length >= length) {
        return { status, headers, body: rest.subarray(0, length), complete: true };
      }
      return closed ? { status, headers, body: rest, complete: false } : 'incomplete';
    }
    return closed ? { status, headers, body: rest, complete: true } : 'incomplete';
  }
}

/** A whole chunked body decoded, or undefined while its last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const pieces: Buffer[] = [];
  let at = 0;
  while (true) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(pieces);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    pieces.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

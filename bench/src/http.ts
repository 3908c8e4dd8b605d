// Timed HTTP transfers with node:http: uploads stream their body from a generator with an exact
// Content-Length (as a browser sends a file), downloads count bytes and keep none.
import { type Agent, type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { wavChunks } from './wav.ts';

export interface Transfer {
  status: number;
  /** Payload bytes moved: the file for an upload, the body for a download. */
  bytes: number;
  ms: number;
  /** The reply body for uploads (JSON); empty for downloads. */
  text: string;
  /** The API's `Server-Timing` of an upload, metric by metric (ms); empty elsewhere. */
  serverTiming: Record<string, number>;
}

export const MB = 1_000_000;

/** The answer to `req`: its status, headers and body as text, once read to its end. */
export function answerOf(
  req: ClientRequest,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    req.once('response', async (res) => {
      let text = '';
      res.setEncoding('utf8');
      try {
        for await (const chunk of res) text += chunk;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      } catch (error) {
        reject(error);
      }
    });
    req.once('error', reject);
  });
}

export function mbPerSecond(transfer: { bytes: number; ms: number }): number {
  return transfer.bytes / MB / (transfer.ms / 1000);
}

/**
 * POSTs one multipart/form-data part named `field` holding a `totalBytes` WAV: the API's
 * `POST /sounds` (field `file`) and file_store's `POST /files/` (field = the file id) alike.
 */
export function uploadWav(
  url: string,
  options: { field: string; totalBytes: number; headers?: Record<string, string> },
): Promise<Transfer> {
  return postFilePart(url, {
    field: options.field,
    filename: 'bench.wav',
    contentType: 'audio/wav',
    bytes: options.totalBytes,
    content: wavChunks(options.totalBytes),
    headers: options.headers,
  });
}

/**
 * POSTs one multipart/form-data part whose `bytes` of content come from `content` (a generator
 * or a file stream), with the exact Content-Length a browser sends; times it until the reply.
 */
export async function postFilePart(
  url: string,
  part: {
    field: string;
    filename: string;
    contentType: string;
    bytes: number;
    content: Iterable<Buffer> | AsyncIterable<Buffer>;
    headers?: Record<string, string>;
  },
): Promise<Transfer> {
  const boundary = `----bench${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"; filename="${part.filename}"\r\n` +
      `Content-Type: ${part.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body() {
    yield head;
    yield* part.content;
    yield tail;
  }
  const began = performance.now();
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + part.bytes + tail.length),
      ...part.headers,
    },
  });
  const replied = answerOf(req);
  // A server may answer (e.g. 4xx) before reading the whole body; the reply is what counts.
  await Promise.all([pipeline(Readable.from(body()), req).catch(() => {}), replied]);
  const { status, text, headers } = await replied;
  const timing = String(headers['server-timing'] ?? '');
  return {
    status,
    bytes: part.bytes,
    ms: performance.now() - began,
    text,
    serverTiming: parseServerTiming(timing),
  };
}

/** `name;dur=12.3;desc="…", …` as `{ name: 12.3 }`. */
function parseServerTiming(header: string): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [, name, duration] of header.matchAll(/(?:^|,\s*)([\w-]+);dur=([\d.]+)/g)) {
    if (name) metrics[name] = Number(duration);
  }
  return metrics;
}

/** GETs `url` (optionally a Range) and counts the body's bytes. */
export async function download(
  url: string,
  options: { agent?: Agent; range?: [number, number] } = {},
): Promise<Transfer> {
  const began = performance.now();
  return new Promise<Transfer>((resolve, reject) => {
    const req = request(url, {
      agent: options.agent ?? false,
      headers: options.range ? { range: `bytes=${options.range[0]}-${options.range[1]}` } : {},
    });
    req.once('response', (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          ms: performance.now() - began,
          text: '',
          serverTiming: {},
        }),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

export async function getJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status}`);
  return (await response.json()) as T;
}

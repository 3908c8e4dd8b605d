// A resumable upload (tus 1.0, the API's `/uploads`) as tus-js-client sends one: `POST /uploads`
// with the file's length and name, then PATCHes of `chunkBytes` one after another on one
// kept-alive connection, each body streamed from the file on disk, until the last answers with
// the sound's id. Every request is timed on its own, so the section can say where the time goes.
import { createReadStream } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { answerOf } from './http.ts';

export const TUS_HEADERS = { 'tus-resumable': '1.0.0' };

/** One request of a resumable upload. */
export interface TusRequest {
  method: 'POST' | 'PATCH';
  /** Body bytes it carried. */
  bytes: number;
  ms: number;
  status: number;
}

export interface TusTransfer {
  /** 204 when the last PATCH was accepted; otherwise the status that stopped the upload. */
  status: number;
  bytes: number;
  /** From the POST's first byte to the last PATCH's answer. */
  ms: number;
  /** The last PATCH's `Sound-Id`: the published sound. */
  soundId: string;
  /** The body of the answer that stopped the upload, when one did. */
  text: string;
  requests: TusRequest[];
}

/**
 * Uploads the file at `path` (`bytes` long) to `${apiUrl}/uploads` in PATCHes of `chunkBytes`
 * (Infinity: one PATCH, tus-js-client's default), as the user of `headers`.
 */
export async function uploadResumable(
  apiUrl: string,
  file: { path: string; bytes: number; filename: string },
  options: { chunkBytes: number; headers: Record<string, string> },
): Promise<TusTransfer> {
  // As a browser and tus-js-client do: one connection for the whole upload.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const requests: TusRequest[] = [];
  const headers = { ...TUS_HEADERS, ...options.headers };
  const began = performance.now();
  const result = (status: number, soundId = '', text = ''): TusTransfer => ({
    status,
    bytes: file.bytes,
    ms: performance.now() - began,
    soundId,
    text,
    requests,
  });
  try {
    const created = await send(agent, `${apiUrl}/uploads`, 'POST', {
      ...headers,
      'upload-length': String(file.bytes),
      'upload-metadata': `filename ${Buffer.from(file.filename).toString('base64')}`,
    });
    requests.push({ method: 'POST', bytes: 0, ms: created.ms, status: created.status });
    const location = created.headers.location;
    if (created.status !== 201 || !location) return result(created.status, '', created.text);
    const url = new URL(location, apiUrl).href;

    let offset = 0;
    while (offset < file.bytes) {
      const end = Math.min(offset + options.chunkBytes, file.bytes);
      const patched = await send(
        agent,
        url,
        'PATCH',
        {
          ...headers,
          'upload-offset': String(offset),
          'content-type': 'application/offset+octet-stream',
          'content-length': String(end - offset),
        },
        createReadStream(file.path, { start: offset, end: end - 1, highWaterMark: 64 * 1024 }),
      );
      requests.push({
        method: 'PATCH',
        bytes: end - offset,
        ms: patched.ms,
        status: patched.status,
      });
      if (patched.status !== 204) return result(patched.status, '', patched.text);
      const moved = Number(patched.headers['upload-offset']);
      if (moved !== end) {
        return result(0, '', `PATCH at ${offset} of ${end - offset} bytes: offset now ${moved}`);
      }
      offset = end;
      if (offset === file.bytes) {
        const soundId = patched.headers['sound-id'];
        if (typeof soundId !== 'string') return result(0, '', 'the last PATCH named no sound');
        return result(204, soundId);
      }
    }
    return result(0, '', 'an empty file');
  } finally {
    agent.destroy();
  }
}

/** One request, its body (if any) streamed; resolves once its answer has been read. */
async function send(
  agent: Agent,
  url: string,
  method: 'POST' | 'PATCH',
  headers: Record<string, string>,
  body?: Readable,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string; ms: number }> {
  const began = performance.now();
  const req = request(url, { method, agent, headers });
  const answered = answerOf(req);
  // A server may answer (e.g. 4xx) before reading the whole body; the answer is what counts.
  const sent = body ? pipeline(body, req) : new Promise<void>((done) => req.end(done));
  await Promise.all([sent.catch(() => {}), answered]);
  return { ...(await answered), ms: performance.now() - began };
}

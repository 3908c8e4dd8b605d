import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFfmpeg } from '../src/processing/ffmpeg.ts';
import { RenderFailed, renderSound } from '../src/processing/render.ts';
import { wavTone } from './helpers/audio.ts';

/**
 * ffmpeg reads what it is told to read. A file whose bytes ffmpeg would take for a list of other
 * files (here an ffconcat list naming a neighbour in file_store) must not make it fetch them:
 * the job names the demuxer of the type the upload check verified, and allows HTTP only.
 */
const requested: string[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  const files: Record<string, Buffer> = {
    '/files/list': Buffer.from("ffconcat version 1.0\nfile 'neighbour'\n"),
    '/files/neighbour': wavTone({ seconds: 2 }),
    '/files/tone': wavTone({ seconds: 2 }),
  };
  server = createServer((request, response) => {
    requested.push(request.url ?? '');
    const body = files[request.url ?? ''];
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const ffmpeg = createFfmpeg('ffmpeg', { timeoutMs: 30_000, cpuSeconds: 30, memoryMb: 512 });

function render(path: string, contentType: string) {
  return renderSound({
    ffmpeg,
    inputUrl: `${baseUrl}${path}`,
    contentType,
    signal: new AbortController().signal,
  });
}

it('decodes a file as the type it was verified as', async () => {
  const rendered = await render('/files/tone', 'audio/wav');
  expect(rendered.durationMs).toBe(2000);
});

it('never follows a list of other files inside a sound', async () => {
  requested.length = 0;
  await expect(render('/files/list', 'audio/mpeg')).rejects.toBeInstanceOf(RenderFailed);
  expect(requested).toContain('/files/list');
  expect(requested).not.toContain('/files/neighbour');
});

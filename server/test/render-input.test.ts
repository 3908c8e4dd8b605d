import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeAudio } from '../src/media/probe.ts';
import { createMediaTool } from '../src/media/tool.ts';
import { ProcessingFailed } from '../src/processing/failures.ts';
import { renderSound } from '../src/processing/render.ts';
import { wavTone } from './helpers/audio.ts';

/**
 * ffprobe and ffmpeg read what they are told to read. A file whose bytes they would take for a
 * list of other files (an ffconcat list, an HLS playlist naming a neighbour in file_store) must
 * not make them fetch anything: only audio demuxers are allowed, the job names the demuxer
 * ffprobe found, and only HTTP to the one file.
 */
const requested: string[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requested.push(request.url ?? '');
    const body = files()[request.url ?? ''];
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

function files(): Record<string, Buffer> {
  return {
    '/files/list': Buffer.from("ffconcat version 1.0\nfile 'neighbour'\n"),
    '/files/playlist': Buffer.from(`#EXTM3U\n#EXTINF:2,\n${baseUrl}/files/neighbour\n`),
    '/files/neighbour': wavTone({ seconds: 2 }),
    '/files/tone': wavTone({ seconds: 2 }),
  };
}

const ffprobe = createMediaTool('ffprobe', { timeoutMs: 30_000, cpuSeconds: 30, memoryMb: 512 });
const budget = { timeoutMs: 30_000, cpuSeconds: 30, memoryMb: 512 };
const ffmpeg = createMediaTool('ffmpeg', budget);

it('decodes a file as what ffprobe found it to be', async () => {
  const verdict = await probeAudio(ffprobe, `${baseUrl}/files/tone`);
  if (!verdict.audio) throw new Error(`not audio: ${verdict.finding}`);
  expect(verdict.found).toMatchObject({ demuxer: 'wav', codec: 'pcm_s16le' });
  const rendered = await renderSound({
    ffmpeg,
    inputUrl: `${baseUrl}/files/tone`,
    found: verdict.found,
    signal: new AbortController().signal,
    boundMs: 60_000,
    budget,
  });
  expect(rendered.durationMs).toBe(2000);
});

it.each(['list', 'playlist'])('never follows a %s of other files inside a sound', async (name) => {
  requested.length = 0;
  const verdict = await probeAudio(ffprobe, `${baseUrl}/files/${name}`);
  expect(verdict).toMatchObject({ audio: false, why: 'not-audio' });
  // Told it is audio of some kind all the same, ffmpeg still opens nothing else.
  const forced = renderSound({
    ffmpeg,
    inputUrl: `${baseUrl}/files/${name}`,
    found: {
      demuxer: 'mp3',
      codec: 'mp3',
      contentType: 'audio/mpeg',
      sampleRate: 44100,
      channels: 1,
      channelLayout: 'mono',
      durationMs: null,
      bitRate: null,
    },
    signal: new AbortController().signal,
    boundMs: 60_000,
    budget,
  });
  await expect(forced).rejects.toBeInstanceOf(ProcessingFailed);
  expect(requested).toContain(`/files/${name}`);
  expect(requested).not.toContain('/files/neighbour');
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWithProgress, type UploadProgress } from './send-with-progress.ts';

// A real HTTP server on a free port: jsdom's XMLHttpRequest talks to it over the network, CORS
// preflight and all, as a browser talks to the API.
type Route = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;
const routes = new Map<string, Route>();
const closed: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'X-User-Id',
      });
      response.end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () =>
      routes.get(request.url ?? '')?.(request, Buffer.concat(chunks), response),
    );
    response.on('close', () => {
      if (!response.writableFinished) closed.push(request.url ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('sendWithProgress', () => {
  it('sends the body and headers, reports upload progress and resolves with the parsed reply', async () => {
    let received: { userId: string | undefined; body: string } | undefined;
    routes.set('/ok', (request, body, response) => {
      received = { userId: request.headers['x-user-id'] as string, body: body.toString() };
      response.writeHead(201, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ id: 'abc' }));
    });
    const payload = 'x'.repeat(100_000);
    const progress: UploadProgress[] = [];

    const reply = await sendWithProgress({
      url: `${base}/ok`,
      body: payload,
      headers: { 'X-User-Id': '7' },
      onProgress: (event) => progress.push(event),
    });

    expect(reply).toEqual({ status: 201, body: { id: 'abc' } });
    expect(received).toEqual({ userId: '7', body: payload });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ loaded: payload.length, total: payload.length });
  });

  it('resolves with error replies too, leaving the status to the caller', async () => {
    routes.set('/too-large', (_request, _body, response) => {
      response.writeHead(413, { 'Content-Type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ code: 'FILE_TOO_LARGE' }));
    });
    await expect(sendWithProgress({ url: `${base}/too-large`, body: 'x' })).resolves.toEqual({
      status: 413,
      body: { code: 'FILE_TOO_LARGE' },
    });
  });

  it('cancels through the abort signal: the request is cut off and the promise rejects', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    routes.set('/slow', () => arrived()); // never answers
    const controller = new AbortController();

    const sending = sendWithProgress({
      url: `${base}/slow`,
      body: 'some audio',
      signal: controller.signal,
      onProgress: () => {},
    });
    await requestArrived;
    controller.abort();

    await expect(sending).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => closed).toContain('/slow');
  });

  it('does not send at all when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      sendWithProgress({ url: `${base}/ok`, body: 'x', signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects with a TypeError when no reply comes', async () => {
    routes.set('/drop', (request) => request.socket.destroy());
    await expect(sendWithProgress({ url: `${base}/drop`, body: 'x' })).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});

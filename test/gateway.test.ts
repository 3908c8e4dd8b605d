// The API gateway's nginx configuration (gateway/nginx, shared by compose's image and the
// launcher's `API_REPLICAS` gateway), run for real with Debian's nginx in front of a real API:
// what nginx answers itself comes in the API's JSON error shape, and the API believes
// X-Forwarded-For from the gateway alone. Needs Debian's nginx (`apt-get install nginx`).

import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchange } from '@cloud-sound/server/testing/raw-connection';
import { startSystem, type TestSystem } from '@cloud-sound/server/testing/system';
import {
  findNginx,
  GATEWAY_UPSTREAM_ADDRESS,
  type Gateway,
  REPO_DIR,
  type RunningNginx,
  startNginx,
} from '@cloud-sound/system';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayInFront } from './helpers/gateway.ts';

/**
 * Every status nginx answers by itself in front of a proxy, and the page each one gets. (Not
 * 408: nginx closes the connection of a client too slow to send its request, with no answer.)
 */
const OWN_ANSWERS: Array<[status: number, answered: number, code: string]> = [
  [400, 400, 'MALFORMED_REQUEST'],
  [403, 403, 'FORBIDDEN'],
  [404, 404, 'ROUTE_NOT_FOUND'],
  [405, 405, 'METHOD_NOT_ALLOWED'],
  [411, 411, 'LENGTH_REQUIRED'],
  [413, 413, 'BODY_TOO_LARGE'],
  [414, 414, 'URI_TOO_LONG'],
  [416, 416, 'RANGE_NOT_SATISFIABLE'],
  [431, 431, 'HEADERS_TOO_LARGE'],
  // nginx's own code for headers too large, which it would answer as "400 Request Header Or
  // Cookie Too Large".
  [494, 431, 'HEADERS_TOO_LARGE'],
  [500, 500, 'INTERNAL_ERROR'],
  [501, 501, 'NOT_IMPLEMENTED'],
  [502, 503, 'API_UNAVAILABLE'],
  [503, 503, 'API_UNAVAILABLE'],
  [504, 503, 'API_UNAVAILABLE'],
  [505, 505, 'HTTP_VERSION_NOT_SUPPORTED'],
];

let dir: string;
let system: TestSystem;
let gateway: Gateway | undefined;
/** nginx with the gateway's error pages and a location answering each status by itself. */
let statuses: RunningNginx | undefined;
let statusesUrl: string;

beforeAll(async () => {
  if (!findNginx()) {
    throw new Error("Debian's nginx is needed for this test: apt-get install nginx");
  }
  dir = await mkdtemp(join(tmpdir(), 'cloud-sound-gateway-'));
  system = await startSystem({
    // As the launcher sets it for its replicas.
    TRUST_PROXY: GATEWAY_UPSTREAM_ADDRESS,
    RATE_LIMIT_USER_CREATIONS: '2',
  });
  gateway = await startGatewayInFront(system, dir);

  const port = await getPort();
  statusesUrl = `http://127.0.0.1:${port}`;
  const answering = OWN_ANSWERS.map(
    ([status]) => `  location = /status/${status} { return ${status}; }`,
  );
  statuses = await startNginx({
    dir: join(dir, 'statuses'),
    http: `server {
  listen 127.0.0.1:${port};
  include ${join(REPO_DIR, 'gateway/nginx/errors.conf')};
  location = /health { return 200 'ok'; }
${answering.join('\n')}
}`,
    probeUrl: `${statusesUrl}/health`,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), statuses?.stop()]);
  await system?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The JSON body of a raw HTTP/1.1 reply, and its status. */
function parseReply(reply: string): { status: number; contentType: string; body: unknown } {
  const head = reply.slice(0, reply.indexOf('\r\n\r\n'));
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1] ?? '';
  const text = reply.slice(reply.indexOf('\r\n\r\n') + 4);
  return { status, contentType, body: text ? JSON.parse(text) : undefined };
}

function errorShape(status: number, code: string) {
  return { statusCode: status, error: STATUS_CODES[status], message: expect.any(String), code };
}

describe("what the gateway's nginx answers itself", () => {
  it.each(OWN_ANSWERS)(
    '%i is answered as %i %s, in the API’s error shape',
    async (status, answered, code) => {
      const response = await fetch(`${statusesUrl}/status/${status}`);
      expect(response.status).toBe(answered);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await response.json()).toEqual(errorShape(answered, code));
    },
  );

  it.each([
    {
      what: 'a transfer coding other than chunked',
      request:
        'POST /sounds HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      status: 501,
      code: 'NOT_IMPLEMENTED',
    },
    {
      what: 'TRACE',
      request: 'TRACE /sounds HTTP/1.1\r\nHost: x\r\n\r\n',
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
    },
    {
      what: 'HTTP/2.0 in clear text',
      request: 'GET /sounds HTTP/2.0\r\nHost: x\r\n\r\n',
      status: 505,
      code: 'HTTP_VERSION_NOT_SUPPORTED',
    },
    {
      what: 'a request line that is not HTTP',
      request: 'NOT HTTP AT ALL\r\n\r\n',
      status: 400,
      code: 'MALFORMED_REQUEST',
    },
    {
      what: 'no Host',
      request: 'GET /sounds HTTP/1.1\r\n\r\n',
      status: 400,
      code: 'MALFORMED_REQUEST',
    },
    {
      what: 'a chunk size that is not a number',
      request: 'POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n',
      status: 400,
      code: 'MALFORMED_REQUEST',
    },
    {
      what: 'a URL of 20 KiB',
      request: `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      status: 414,
      code: 'URI_TOO_LONG',
    },
    {
      what: 'a header of 20 KiB',
      request: `GET /sounds HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      status: 431,
      code: 'HEADERS_TOO_LARGE',
    },
    {
      what: 'one of its own internal pages',
      request: 'GET /_gateway/api-unavailable HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      status: 404,
      code: 'ROUTE_NOT_FOUND',
    },
  ])(
    'refuses $what with $status $code in JSON, never nginx’s HTML page',
    async ({ request, status, code }) => {
      const { reply } = await exchange(gateway?.url ?? '', request, { waitMs: 2_000 });
      const parsed = parseReply(reply);
      expect(parsed.status).toBe(status);
      expect(parsed.contentType).toBe('application/json; charset=utf-8');
      expect(parsed.body).toEqual(errorShape(status, code));
    },
  );

  it('passes the API’s own errors through untouched', async () => {
    const response = await fetch(`${gateway?.url}/no-such-route`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No route for GET /no-such-route',
      code: 'ROUTE_NOT_FOUND',
    });
  });
});

let nextUserId = 1_500_000_000 + Math.floor(Math.random() * 500_000_000);

/** POST /users from `localAddress` (a loopback address of the client's choosing). */
function register(
  baseUrl: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  const body = JSON.stringify({ id: ++nextUserId });
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: hostname,
        port,
        localAddress,
        method: 'POST',
        path: '/users',
        agent: false,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('X-Forwarded-For (RATE_LIMIT_USER_CREATIONS is 2 per address)', () => {
  it('is not believed from a program on 127.0.0.1: forged addresses all count as 127.0.0.1', async () => {
    const answers = [];
    for (const forged of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      answers.push(await register(system.url, '127.0.0.1', { 'x-forwarded-for': forged }));
    }
    expect(answers).toEqual([201, 201, 429]);
  });

  it('is believed from the gateway, which writes the address it saw over any a client sent', async () => {
    const forged = { 'x-forwarded-for': '203.0.113.50' };
    const fromFirst = [];
    for (let count = 0; count < 3; count += 1) {
      fromFirst.push(await register(gateway?.url ?? '', '127.0.0.3', forged));
    }
    // Another client behind the same gateway has limits of its own.
    const fromSecond = [
      await register(gateway?.url ?? '', '127.0.0.4', forged),
      await register(gateway?.url ?? '', '127.0.0.4'),
    ];
    expect({ fromFirst, fromSecond }).toEqual({
      fromFirst: [201, 201, 429],
      fromSecond: [201, 201],
    });
  });
});

// Issue 6: what a hostile client sends. Requests go out as raw as Node allows (node:http keeps
// paths and headers exactly as written; node:net for what no HTTP client would send), so no
// client library tidies the attack away before it reaches the API.

import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { parse as parseContentDisposition } from 'content-disposition';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG_BYTES, wavHeader, wavTone } from './helpers/audio.ts';
import { uploadSound } from './helpers/http.ts';
import { exchange } from './helpers/raw-connection.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with the path and headers exactly as given (fetch would normalise them). */
function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  body?: Buffer,
): Promise<RawReply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, method, path, headers }, (reply) => {
      let text = '';
      reply.setEncoding('utf8');
      reply.on('data', (chunk: string) => {
        text += chunk;
      });
      reply.on('end', () =>
        resolve({ status: reply.statusCode ?? 0, headers: reply.headers, body: text }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A multipart upload whose part headers carry `filename` and `partType` byte for byte. */
function multipartUpload(filename: string, bytes: Buffer, partType: string) {
  const boundary = 'cloud-sound-hostile';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${partType}\r\n\r\n`,
      'latin1',
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

function expectErrorShape(reply: RawReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(JSON.parse(reply.body)).toEqual({
    statusCode: status,
    error: expect.any(String),
    message: expect.any(String),
    code,
  });
}

/** Every file name under `dir`, at any depth. */
async function allFileNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('hostile input, against the API in-process', () => {
  let system: TestSystem;
  let userId: number;
  beforeAll(async () => {
    system = await startSystem();
    userId = await system.createUser();
  });
  afterAll(() => system?.close());

  async function upload(filename: string, bytes: Buffer, partType = 'audio/wav') {
    const { body, contentType } = multipartUpload(filename, bytes, partType);
    return rawRequest(
      system.url,
      'POST',
      '/sounds',
      { 'x-user-id': String(userId), 'content-type': contentType },
      body,
    );
  }

  describe('filenames', () => {
    // [as sent, as stored, as downloaded: ending as the type the decoder found, a WAV]
    const FILENAMES: Array<[string, string, string]> = [
      ['../../etc/passwd', 'passwd', 'passwd.wav'],
      ['..\\..\\windows\\win.ini', 'win.ini', 'win.wav'],
      // A raw CR LF ends the part header there: the parser keeps only what came before.
      ['evil\r\nX-Injected: yes\r\n.wav', 'evil', 'evil.wav'],
      // What browsers send for CR, LF and `"` (WHATWG HTML encodes them).
      ['evil%0D%0AX-Injected: yes.wav', 'evilX-Injected: yes.wav', 'evilX-Injected: yes.wav'],
      [
        "a%22; filename*=UTF-8''evil.exe; x=%22.wav",
        `a"; filename*=UTF-8''evil.exe; x=".wav`,
        `a"; filename*=UTF-8''evil.exe; x=".wav`,
      ],
      ['nul\u0000byte.wav', 'nulbyte.wav', 'nulbyte.wav'],
      ['/absolute/path/tone.wav', 'tone.wav', 'tone.wav'],
      ['..', 'sound', 'sound.wav'],
      ['track.exe', 'track.exe', 'track.wav'],
    ];

    it.each(FILENAMES)(
      'stores %j as the plain name %j and plays it back as %j',
      async (sent, stored, downloaded) => {
        const reply = await upload(sent, wavTone());
        expect(reply.status).toBe(201);
        const sound = JSON.parse(reply.body) as { id: string; filename: string };
        expect(sound.filename).toBe(stored);

        const audio = await rawRequest(system.url, 'GET', `/sounds/${sound.id}/audio`);
        expect(audio.status).toBe(200);
        expect(audio.headers['x-injected']).toBeUndefined();
        const disposition = String(audio.headers['content-disposition']);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
        expect(disposition).not.toMatch(/[\u0000-\u001f]/);
        // Quotes inside the name stay inside it: one filename parameter, the stored name.
        expect(parseContentDisposition(disposition)).toEqual({
          type: 'inline',
          parameters: { filename: downloaded },
        });
      },
    );

    it('writes files only under file_store’s own names, never under one a client chose', async () => {
      const storedNames = await readdir(join(system.fileStore.dataDir, 'files'));
      expect(storedNames.length).toBeGreaterThanOrEqual(FILENAMES.length);
      for (const name of storedNames) expect(name).toMatch(/^[0-9a-f]{64}$/);
      const everywhere = await allFileNames(system.root);
      for (const [, stored] of FILENAMES) expect(everywhere).not.toContain(stored);
      expect(everywhere).not.toContain('passwd');
    });
  });

  describe('text and numbers that used to reach Postgres or JavaScript unchecked', () => {
    const listedFilenames = async () => {
      const reply = await rawRequest(system.url, 'GET', `/sounds?userId=${userId}&limit=100`);
      return (JSON.parse(reply.body) as { items: Array<{ filename: string }> }).items.map(
        (sound) => sound.filename,
      );
    };

    it('refuses a title holding NUL with 400 INVALID_TITLE before storing anything', async () => {
      const storedBefore = await system.countStoredFiles();
      const boundary = 'nul-title';
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nbad\u0000title\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="nul-title.wav"\r\n\r\n`,
        ),
        wavTone(),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const reply = await rawRequest(
        system.url,
        'POST',
        '/sounds',
        {
          'x-user-id': String(userId),
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body,
      );
      expectErrorShape(reply, 400, 'INVALID_TITLE');
      expect(await system.countStoredFiles()).toBe(storedBefore);
      expect(await listedFilenames()).not.toContain('nul-title.wav');
    });

    it('keeps a title without its control characters, line breaks as spaces', async () => {
      const response = await uploadSound(system.url, {
        userId,
        bytes: wavTone(),
        title: 'Red\u001b[31m alert\u0007\r\nsecond line\u202e',
      });
      expect(response.status).toBe(201);
      expect(((await response.json()) as { title: string }).title).toBe(
        'Red[31m alert  second line',
      );
    });

    it.each([
      ['a bidi override', 'invoice\u202eSTOP.mp3.wav', 'invoiceSTOP.mp3.wav'],
      ['C1 controls', 'a\u0085b\u009b.wav', 'a b.wav'],
      ['decomposed accents', 'Cafe\u0301.wav', 'Caf\u00e9.wav'],
      ['10,000 characters', `${'x'.repeat(10_000)}.wav`, `${'x'.repeat(251)}.wav`],
    ])('stores a filename with %s as %j', async (_what, sent, stored) => {
      // FormData writes the filename as UTF-8, as browsers do.
      const response = await uploadSound(system.url, { userId, bytes: wavTone(), filename: sent });
      expect(response.status).toBe(201);
      expect(((await response.json()) as { filename: string }).filename).toBe(stored);
    });

    it('lists a WAV whose header claims 4 GiB of samples with the length it really has', async () => {
      // 8 KB of samples at 16,000 bytes a second: half a second, whatever the header says.
      const bytes = Buffer.concat([wavHeader(0xffff_0000), Buffer.alloc(8000)]);
      const reply = await upload('liar.wav', bytes);
      expect(reply.status).toBe(201);
      expect(JSON.parse(reply.body)).toMatchObject({ durationMs: 500, size: bytes.length });
    });

    it.each([
      ['a year beyond Postgres', ['+200000-01-01T00:00:00.000Z']],
      ['the largest JavaScript date', ['+275760-09-13T00:00:00.000Z']],
      ['a date that does not exist', ['2024-02-30T00:00:00.000Z']],
      ['an offset instead of Z', ['2024-01-01T00:00:00.000+01:00']],
      ['a number', [1e15]],
    ])('answers a cursor forged with %s with 400 INVALID_CURSOR', async (_what, [time]) => {
      const cursor = Buffer.from(
        JSON.stringify([time, '00000000-0000-4000-8000-000000000000']),
      ).toString('base64url');
      const reply = await rawRequest(system.url, 'GET', `/sounds?cursor=${cursor}`);
      expectErrorShape(reply, 400, 'INVALID_CURSOR');
    });

    it.each([
      'limit=1e9999',
      'limit=Infinity',
      'limit=-Infinity',
      'limit=NaN',
      'limit=1e1',
      'limit=0x10',
      'limit=%205',
      'limit=007',
      'limit=2.0',
      'userId=1e9999',
      'userId=Infinity',
      'userId=1E3',
      'userId=0b101',
    ])('answers the query %s with 400 INVALID_REQUEST', async (query) => {
      expectErrorShape(
        await rawRequest(system.url, 'GET', `/sounds?${query}`),
        400,
        'INVALID_REQUEST',
      );
    });
  });

  describe('sound ids', () => {
    it.each([
      '/sounds/..%2F..%2Fetc%2Fpasswd',
      '/sounds/..%2F..%2Fetc%2Fpasswd/audio',
      '/sounds/%2e%2e/audio',
      '/sounds/%252e%252e%252fetc/audio',
      '/sounds/00000000-0000-4000-8000-000000000000%00/audio',
      '/sounds/00000000-0000-4000-8000-000000000000%2F..%2F..%2Fetc/audio',
    ])('answers GET %s with 400 INVALID_REQUEST', async (path) => {
      expectErrorShape(await rawRequest(system.url, 'GET', path), 400, 'INVALID_REQUEST');
    });

    it('answers DELETE of a traversing id with 400, even for a logged-in user', async () => {
      const reply = await rawRequest(system.url, 'DELETE', '/sounds/..%2F..%2Fetc%2Fpasswd', {
        'x-user-id': String(userId),
      });
      expectErrorShape(reply, 400, 'INVALID_REQUEST');
    });

    it('answers an unnormalised ../ path with 404 ROUTE_NOT_FOUND', async () => {
      const reply = await rawRequest(system.url, 'GET', '/sounds/../../etc/passwd');
      expectErrorShape(reply, 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('X-User-Id', () => {
    it.each([
      ['SQL', '1 OR 1=1'],
      ['hexadecimal', '0x10'],
      ['exponent', '1e3'],
      ['sign', '+5'],
      ['negative', '-1'],
      ['leading zeros', '007'],
      ['past the int range', '2147483648'],
      ['a list', '5, 6'],
    ])('rejects a %s id (%j) with 400 before asking user_api', async (_name, value) => {
      const reply = await rawRequest(system.url, 'GET', '/me', { 'x-user-id': value });
      expectErrorShape(reply, 400, 'INVALID_USER_ID');
    });

    it('rejects the header sent twice, even when one copy is a real user', async () => {
      const reply = await rawRequest(system.url, 'GET', '/me', {
        'x-user-id': [String(userId), '1'],
      });
      expectErrorShape(reply, 400, 'INVALID_USER_ID');
    });

    it('answers 431 to a header too large to parse', async () => {
      const reply = await rawRequest(system.url, 'GET', '/me', { 'x-user-id': '1'.repeat(20_000) });
      expect(reply.status).toBe(431);
    });

    it('answers 400 to a bare CR smuggling a second header, and closes the connection', async () => {
      const { reply, closed } = await exchange(
        system.url,
        `GET /me HTTP/1.1\r\nHost: x\r\nX-User-Id: ${userId}\rX-Injected: 1\r\n\r\n`,
      );
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect(closed).toBe(true);
      // It was refused as a whole: nothing answered the request as if it were valid.
      expect(reply).not.toContain(`"id":${userId}`);
    });
  });

  describe('declared types that lie', () => {
    it('refuses a PNG declared as audio/mpeg and named .mp3 with 415, storing nothing', async () => {
      const before = await system.countStoredFiles();
      expectErrorShape(
        await upload('song.mp3', PNG_BYTES, 'audio/mpeg'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectErrorShape(
        await upload(
          'page.mp3',
          Buffer.from('<html><script>alert(1)</script></html>'),
          'audio/mpeg',
        ),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect(await system.countStoredFiles()).toBe(before);
    });

    it('takes a WAV declared as image/png and named .png as audio/wav, and serves it so', async () => {
      const reply = await upload('picture.png', wavTone(), 'image/png');
      expect(reply.status).toBe(201);
      const sound = JSON.parse(reply.body) as { id: string; contentType: string };
      expect(sound.contentType).toBe('audio/wav');
      const audio = await rawRequest(system.url, 'GET', `/sounds/${sound.id}/audio`);
      expect(audio.headers['content-type']).toBe('audio/wav');
    });

    it.each([
      ['an HTML page', Buffer.from('<html><script>alert(document.domain)</script></html>')],
      ['a PNG image', PNG_BYTES],
      ['a Windows executable', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(4096, 0x90)])],
      ['zeros', Buffer.alloc(64 * 1024)],
    ])('refuses %s hidden behind an ID3 tag with 415, keeping nothing', async (_what, content) => {
      // A magic number is no proof: MPEG frames must follow the tag.
      const storedBefore = await system.countStoredFiles();
      const id3Tag = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]);
      const reply = await upload('invoice.pdf.exe', Buffer.concat([id3Tag, content]), 'audio/mpeg');
      expectErrorShape(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await system.countStoredFiles()).toBe(storedBefore);
    });
  });

  describe('JSON bodies', () => {
    const body = Buffer.from(JSON.stringify({ id: 5, padding: 'x'.repeat(17 * 1024) }));

    it('answers 413 BODY_TOO_LARGE to a 17 KiB JSON body on POST /users', async () => {
      const reply = await rawRequest(
        system.url,
        'POST',
        '/users',
        { 'content-type': 'application/json' },
        body,
      );
      expectErrorShape(reply, 413, 'BODY_TOO_LARGE');
    });

    it('answers 413 to the same body sent chunked, with no Content-Length to check', async () => {
      const reply = await rawRequest(
        system.url,
        'POST',
        '/users',
        { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        body,
      );
      expectErrorShape(reply, 413, 'BODY_TOO_LARGE');
    });
  });

  describe('CORS', () => {
    it.each([
      'http://evil.example',
      'http://localhost.evil.example',
      'http://localhost:8081',
      'https://localhost',
      'null',
    ])('gives %s no Access-Control-Allow-Origin, preflight or not', async (origin) => {
      const preflight = await rawRequest(system.url, 'OPTIONS', '/sounds', {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-user-id',
      });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
      const simple = await rawRequest(system.url, 'GET', '/sounds', { origin });
      expect(simple.status).toBe(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    });

    it.each([
      ['without Origin', {}],
      ['without Access-Control-Request-Method', { origin: 'http://localhost' }],
    ])(
      'answers an OPTIONS that is no preflight (%s) without a bare text error',
      async (_what, headers) => {
        const reply = await rawRequest(system.url, 'OPTIONS', '/sounds', headers);
        expect(reply.status).toBeLessThan(500);
        // Either nothing at all, or the error shape every other answer has.
        if (reply.status >= 400) expectErrorShape(reply, reply.status, expect.any(String) as never);
        else expect(reply.body).toBe('');
      },
    );

    it('still allows the web app’s own origin (so the test above can fail)', async () => {
      const reply = await rawRequest(system.url, 'GET', '/sounds', { origin: 'http://localhost' });
      expect(reply.headers['access-control-allow-origin']).toBe('http://localhost');
    });
  });
});

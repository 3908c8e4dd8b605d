import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  download,
  errorCode,
  listTree,
  makeTempRoot,
  rawRequest,
  startFileStore,
  storedFiles,
  upload,
} from './helpers.ts';

describe('ids', () => {
  const unusualIds = [
    'a/b',
    'a/b/',
    '/leading-slash',
    'with space',
    'ünïcödé €',
    '😀',
    '.',
    '..',
    '...',
    'a+b',
    'semi;colon',
    'question?mark',
    'hash#tag',
    '%2F is literal',
    'back\\slash',
    'tab\there',
    'x'.repeat(1024),
    'é'.repeat(512), // 1024 UTF-8 bytes
  ];

  it('accepts any string, stored and read back through its URL-encoded form', async () => {
    const { url, dataDir } = await startFileStore();
    const files = Object.fromEntries(unusualIds.map((id, index) => [id, `content ${index}`]));
    const response = await upload(url, files);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ids: unusualIds });
    for (const [id, content] of Object.entries(files)) {
      expect((await download(url, id)).toString(), id).toBe(content);
    }
    // Every id became one hashed file name: none is used as a path.
    const names = await storedFiles(dataDir);
    expect(names).toHaveLength(unusualIds.length);
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads an id with slashes sent raw or as %2F', async () => {
    const { url } = await startFileStore();
    await upload(url, { 'a/b': 'slashed' });
    expect((await rawRequest(url, 'GET', '/files/a/b')).body.toString()).toBe('slashed');
    expect((await rawRequest(url, 'GET', '/files/a%2Fb')).body.toString()).toBe('slashed');
    // Decoded exactly once: %252F is the id "a%2Fb", a different file.
    expect((await rawRequest(url, 'GET', '/files/a%252Fb')).status).toBe(404);
  });

  it('handles NUL bytes in ids', async () => {
    const { url } = await startFileStore();
    const response = await upload(url, { 'a\u0000b': 'nul' });
    expect(await response.json()).toEqual({ ids: ['a\u0000b'] });
    expect((await rawRequest(url, 'GET', '/files/a%00b')).body.toString()).toBe('nul');
    expect((await rawRequest(url, 'GET', '/files/%00')).status).toBe(404);
    expect((await rawRequest(url, 'DELETE', '/files/a%00b')).status).toBe(204);
  });

  it('refuses ids over 1 KiB with 400 ID_TOO_LONG', async () => {
    const { url, dataDir } = await startFileStore();
    const longIds = ['x'.repeat(1025), 'x'.repeat(2048), 'é'.repeat(513)];
    for (const id of longIds) {
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const response = await rawRequest(url, method, `/files/${encodeURIComponent(id)}`);
        expect(response.status, method).toBe(400);
      }
      const uploaded = await upload(url, { [id]: 'x' });
      expect(uploaded.status).toBe(400);
      expect(await errorCode(uploaded)).toBe('ID_TOO_LONG');
    }
    expect(await storedFiles(dataDir)).toEqual([]);
  });

  it.each([
    ['an empty field name (curl -F "=@a.mp3")', 'name=""; filename="a.mp3"'],
    ['no field name at all', 'filename="a.mp3"'],
  ])('refuses a file part with %s with 400', async (_what, disposition) => {
    const { url, dataDir } = await startFileStore();
    const body = `--b\r\nContent-Disposition: form-data; ${disposition}\r\n\r\nbytes\r\n--b--\r\n`;
    const response = await fetch(`${url}/files/`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      body,
    });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('INVALID_ID');
    expect(await storedFiles(dataDir)).toEqual([]);
  });

  it('refuses an empty id and a URL that does not decode', async () => {
    const { url } = await startFileStore();
    // GET /files/ is the listing (list.test.ts); for the other methods it names an empty id.
    const requests = [
      ['HEAD', '/files/'],
      ['DELETE', '/files/'],
      ['GET', '/files/%ff'],
      ['GET', '/files/%'],
      ['DELETE', '/files/%ff'],
    ];
    for (const [method = '', path = ''] of requests) {
      const response = await rawRequest(url, method, path);
      expect(response.status, `${method} ${path}`).toBe(400);
      if (method !== 'HEAD') {
        expect(JSON.parse(response.body.toString()).code, path).toBe('INVALID_ID');
      }
    }
  });
});

describe('path traversal', () => {
  it('never reads, writes or deletes outside DATA_DIR, and never fails with 500', async () => {
    const root = await makeTempRoot();
    const outside = join(root, 'outside.txt');
    await writeFile(outside, 'secret');
    const { url, dataDir } = await startFileStore({}, root);
    const passwd = await readFile('/etc/passwd');

    const readPaths = [
      '/files/../outside.txt',
      '/files/..%2foutside.txt',
      '/files/%2e%2e%2foutside.txt',
      '/files/%2e%2e/outside.txt',
      '/files/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/files/..%5c..%5coutside.txt',
      '/files/%2Fetc%2Fpasswd',
      '/files//etc/passwd',
      `/files/${encodeURIComponent(outside)}`,
      '/files/%00',
      '/files/..%00',
      `/files/${'..%2f'.repeat(512)}`,
    ];
    for (const path of readPaths) {
      for (const method of ['GET', 'HEAD']) {
        const response = await rawRequest(url, method, path);
        expect([400, 404], `${method} ${path}`).toContain(response.status);
        expect(response.body.toString()).not.toContain('secret');
        expect(response.body.equals(passwd)).toBe(false);
      }
      // Nothing to delete: the outside file must survive.
      expect([400, 404]).toContain((await rawRequest(url, 'DELETE', path)).status);
    }
    expect(await readFile(outside, 'utf8')).toBe('secret');

    // Uploads under traversal ids land inside DATA_DIR and leave the outside file alone.
    const writeIds = ['../outside.txt', '../../outside.txt', outside, '..\\outside.txt'];
    const response = await upload(url, Object.fromEntries(writeIds.map((id) => [id, 'pwned'])));
    expect(response.status).toBe(201);
    expect(await readFile(outside, 'utf8')).toBe('secret');
    for (const id of writeIds) expect((await download(url, id)).toString()).toBe('pwned');

    const tree = await listTree(root);
    // Each file and its recorded id, under the same hashed name.
    const hashed = tree.filter((path) => /^data\/(files|ids)\/[0-9a-f]{64}$/.test(path));
    expect(hashed).toHaveLength(2 * writeIds.length);
    expect(tree.filter((path) => !hashed.includes(path))).toEqual([
      'data',
      'data/composites',
      'data/files',
      'data/ids',
      'data/tmp',
      'outside.txt',
    ]);
    expect(dataDir).toBe(join(root, 'data'));
  });
});

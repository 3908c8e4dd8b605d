import { describe, expect, it } from 'vitest';
import { errorCode, patternBytes, rawRequest, startFileStore, upload } from './helpers.ts';

const SIZE = 1000;
const content = patternBytes(SIZE);

async function storeWithSong() {
  const store = await startFileStore();
  expect((await upload(store.url, { song: content })).status).toBe(201);
  return store;
}

function getSong(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return fetch(`${url}/files/song`, { method, headers });
}

describe('GET /files/:id', () => {
  it('streams the whole file with length, type, validators and Accept-Ranges', async () => {
    const { url } = await storeWithSong();
    const response = await getSong(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-length')).toBe(String(SIZE));
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(Date.parse(response.headers.get('last-modified') ?? '')).not.toBeNaN();
    expect(Buffer.from(await response.arrayBuffer())).toEqual(content);
  });

  it('answers 404 with a JSON error when the file is absent', async () => {
    const { url } = await startFileStore();
    const response = await fetch(`${url}/files/missing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No file with id "missing"',
      code: 'FILE_NOT_FOUND',
    });
  });

  it('serves an empty file', async () => {
    const { url } = await startFileStore();
    await upload(url, { empty: '' });
    const response = await fetch(`${url}/files/empty`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('0');
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    const ranged = await fetch(`${url}/files/empty`, { headers: { range: 'bytes=0-' } });
    expect(ranged.status).toBe(416);
    expect(ranged.headers.get('content-range')).toBe('bytes */0');
  });
});

describe('byte ranges', () => {
  it.each([
    ['bytes=0-', 0, 999],
    ['bytes=0-1', 0, 1],
    ['bytes=100-199', 100, 199],
    ['bytes=-500', 500, 999],
    ['bytes=900-', 900, 999],
    ['bytes=990-5000', 990, 999],
    ['bytes=-5000', 0, 999],
    ['bytes=0-1,2-3', 0, 3], // adjacent ranges are combined into one
  ])('%s → 206 with bytes %i-%i', async (range, start, end) => {
    const { url } = await storeWithSong();
    const response = await getSong(url, { range });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(response.headers.get('content-length')).toBe(String(end - start + 1));
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(content.subarray(start, end + 1));
  });

  it.each(['bytes=1000-', 'bytes=5000-6000'])('%s → 416 with bytes */size', async (range) => {
    const { url } = await storeWithSong();
    const response = await getSong(url, { range });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${SIZE}`);
    expect(await errorCode(response)).toBe('RANGE_NOT_SATISFIABLE');
  });

  it.each([
    ['several disjoint ranges', 'bytes=0-1,500-501'],
    ['a malformed header', 'bytes=abc'],
    ['another unit', 'items=0-1'],
  ])('%s → the whole file (200)', async (_, range) => {
    const { url } = await storeWithSong();
    const response = await getSong(url, { range });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-range')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer())).toEqual(content);
  });

  it('honours If-Range: the current ETag gets the part, a stale one the whole file', async () => {
    const { url } = await storeWithSong();
    const etag = (await getSong(url)).headers.get('etag') ?? '';
    const current = await getSong(url, { range: 'bytes=0-1', 'if-range': etag });
    expect(current.status).toBe(206);
    const stale = await getSong(url, { range: 'bytes=0-1', 'if-range': '"old"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(SIZE);
  });
});

describe('HEAD /files/:id', () => {
  it('sends the same headers as GET and no body', async () => {
    const { url } = await storeWithSong();
    const get = await getSong(url);
    await get.arrayBuffer();
    // A raw request, so that a body sent by mistake would show up.
    const head = await rawRequest(url, 'HEAD', '/files/song');
    expect(head.status).toBe(200);
    for (const name of [
      'content-type',
      'content-length',
      'etag',
      'last-modified',
      'accept-ranges',
    ]) {
      expect(head.headers[name], name).toBe(get.headers.get(name));
    }
    expect(head.body.length).toBe(0);
  });

  it('describes a range like GET does', async () => {
    const { url } = await storeWithSong();
    const head = await rawRequest(url, 'HEAD', '/files/song', { range: 'bytes=-10' });
    expect(head.status).toBe(206);
    expect(head.headers['content-range']).toBe('bytes 990-999/1000');
    expect(head.headers['content-length']).toBe('10');
    expect(head.body.length).toBe(0);
  });

  it('answers 404 when absent', async () => {
    const { url } = await startFileStore();
    expect((await rawRequest(url, 'HEAD', '/files/missing')).status).toBe(404);
  });
});

describe('conditional GET', () => {
  it('answers 304 to a matching If-None-Match, and 200 once the file changed', async () => {
    const { url } = await storeWithSong();
    const etag = (await getSong(url)).headers.get('etag') ?? '';
    const unchanged = await rawRequest(url, 'GET', '/files/song', { 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);
    expect(unchanged.headers.etag).toBe(etag);

    // Same size, new bytes: the ETag must still change.
    await upload(url, { song: patternBytes(SIZE, 7) });
    const changed = await getSong(url, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(Buffer.from(await changed.arrayBuffer())).toEqual(patternBytes(SIZE, 7));
  });
});

describe('DELETE /files/:id', () => {
  it('deletes with 204, then answers 404', async () => {
    const { url } = await storeWithSong();
    const deleted = await fetch(`${url}/files/song`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect((await getSong(url)).status).toBe(404);
    const again = await fetch(`${url}/files/song`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe('FILE_NOT_FOUND');
  });
});

describe('service routes', () => {
  it('GET /health → 200 {status: ok}', async () => {
    const { url } = await startFileStore();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('unknown routes → 404 JSON error', async () => {
    const { url } = await startFileStore();
    const response = await fetch(`${url}/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, code: 'ROUTE_NOT_FOUND' });
  });
});

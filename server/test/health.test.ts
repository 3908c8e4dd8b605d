import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

describe('health', () => {
  it('GET /health answers 200 even with the backends down', async () => {
    await system.fileStore.stop();
    try {
      const response = await fetch(`${system.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    } finally {
      await system.fileStore.start();
    }
  });

  it('GET /ready answers 200 when the database and both backends answer', async () => {
    const response = await fetch(`${system.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', userApi: 'ok', fileStore: 'ok' },
      // The test system processes nothing (PROCESSING_CONCURRENCY=0).
      processing: 'off',
      // ffprobe is on this machine (the suite needs it).
      uploadCheck: 'ok',
      // No REDIS_URL: the limits count in this process (shared-limits.test.ts has Redis).
      redis: 'off',
      // No listed sound found without its file since the start.
      missingFiles: 0,
    });
  });

  it.each(['userApi', 'fileStore'] as const)(
    'GET /ready answers 503 naming %s when it is down',
    async (name) => {
      const backend = name === 'userApi' ? system.userApi : system.fileStore;
      await backend.stop();
      try {
        const response = await fetch(`${system.url}/ready`);
        expect(response.status).toBe(503);
        const body = await json<{ status: string; checks: Record<string, string> }>(response);
        expect(body.status).toBe('unavailable');
        expect(body.checks[name]).toBe('unavailable');
        expect(body.checks.database).toBe('ok');
      } finally {
        await backend.start();
      }
      expect((await fetch(`${system.url}/ready`)).status).toBe(200);
    },
  );
});

describe('cross-cutting', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const response = await fetch(`${system.url}/nope`);
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      code: 'ROUTE_NOT_FOUND',
    });
  });

  it('allows CORS from a configured origin, with the headers the web app needs', async () => {
    const response = await fetch(`${system.url}/sounds`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'x-user-id',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'x-user-id',
    );
    expect(response.headers.get('access-control-allow-methods')).toContain('DELETE');
  });

  it('gives no CORS permission to any other origin', async () => {
    const response = await fetch(`${system.url}/sounds`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

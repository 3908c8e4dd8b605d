import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
import { parseCsp } from './helpers/csp.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

let system: TestSystem;
let soundId: string;
beforeAll(async () => {
  system = await startSystem();
  const userId = await system.createUser();
  const uploaded = await uploadSound(system.url, { userId, bytes: wavTone() });
  soundId = (await json<{ id: string }>(uploaded)).id;
});
afterAll(() => system?.close());

/** The API's Content-Security-Policy, as directive → sources. */
function csp(response: Response): Record<string, string[]> {
  return parseCsp(response.headers.get('content-security-policy'));
}

/** What every answer of the API carries, whatever it is. */
function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  // The web app, another origin, plays the audio in <audio> elements (no CORS).
  expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  // Plain HTTP, as the API is served: HSTS would have no business here.
  expect(response.headers.get('strict-transport-security')).toBeNull();
}

/** JSON and audio: a policy under which nothing loads and nobody frames. */
function expectLockedDownPolicy(response: Response): void {
  expect(csp(response)).toEqual({
    'default-src': ["'none'"],
    'media-src': ["'self'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
  });
}

describe('security headers', () => {
  it('are on a JSON answer', async () => {
    const response = await fetch(`${system.url}/sounds`);
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
    expectLockedDownPolicy(response);
  });

  it('are on an error answer', async () => {
    const response = await fetch(`${system.url}/sounds/00000000-0000-4000-8000-000000000000`);
    expect(response.status).toBe(404);
    expectSecurityHeaders(response);
    expectLockedDownPolicy(response);
  });

  it('are on the audio, whole or in ranges', async () => {
    const whole = await fetch(`${system.url}/sounds/${soundId}/audio`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expectSecurityHeaders(whole);
    expectLockedDownPolicy(whole);
    await whole.arrayBuffer();

    const range = await fetch(`${system.url}/sounds/${soundId}/audio`, {
      headers: { range: 'bytes=0-99' },
    });
    expect(range.status).toBe(206);
    expectSecurityHeaders(range);
    await range.arrayBuffer();
  });

  it('are on a CORS preflight', async () => {
    const response = await fetch(`${system.url}/sounds`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expectSecurityHeaders(response);
  });
});

describe('Swagger UI at /docs', () => {
  it('loads: its page, every script and stylesheet it names, and the document', async () => {
    const page = await fetch(`${system.url}/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();

    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    const assets: string[] = [];
    for (const [, attributes = '', body = ''] of scripts) {
      // An inline script would need 'unsafe-inline', which the policy does not give.
      expect(body.trim()).toBe('');
      const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1];
      expect(src).toBeDefined();
      assets.push(String(src));
    }
    expect(html).not.toMatch(/<style\b|\sstyle=/);
    for (const [, href] of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/g))
      assets.push(String(href));

    for (const asset of assets) {
      const url = new URL(asset, `${system.url}/docs/`);
      // 'self': everything comes from this origin.
      expect(url.origin).toBe(system.url);
      const response = await fetch(url);
      expect(response.status, asset).toBe(200);
      await response.arrayBuffer();
    }
    const document = await fetch(`${system.url}/docs/json`);
    expect(document.status).toBe(200);
    expect(await json(document)).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
  });

  it('has a policy that lets its own scripts, styles and calls through, and nothing else', async () => {
    const page = await fetch(`${system.url}/docs/`);
    expectSecurityHeaders(page);
    const policy = csp(page);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['style-src']?.filter((source) => !source.startsWith("'sha256-"))).toEqual([
      "'self'",
    ]);
    expect(policy['connect-src']).toEqual(["'self'"]);
    expect(policy['img-src']).toEqual(["'self'", 'data:']);
    expect(policy['default-src']).toEqual(["'self'"]);
    expect(policy['object-src']).toEqual(["'none'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    // Over plain HTTP this would send "Try it out" to an https:// URL nobody serves.
    expect(policy['upgrade-insecure-requests']).toBeUndefined();
    await page.text();

    const script = await fetch(`${system.url}/docs/static/swagger-initializer.js`);
    expect(script.status).toBe(200);
    expect(csp(script)).toEqual(policy);
    await script.text();
  });

  it('allows, by hash, exactly the inline styles Swagger UI renders (its logo)', async () => {
    const policy = csp(await fetch(`${system.url}/docs/`));
    const preset = await (
      await fetch(`${system.url}/docs/static/swagger-ui-standalone-preset.js`)
    ).text();
    // React renders these as <style> elements: each needs its hash in style-src.
    const inlineStyles = [...preset.matchAll(/createElement\("style",null,"([^"]*)"\)/g)].map(
      ([, text]) => `'sha256-${createHash('sha256').update(String(text)).digest('base64')}'`,
    );
    expect(inlineStyles.length).toBeGreaterThan(0);
    const hashes = policy['style-src']?.filter((source) => source.startsWith("'sha256-"));
    expect(hashes).toEqual(inlineStyles);
  });
});

// The web app's nginx configuration (web/nginx/templates), run for real: Debian's nginx serves
// a fresh build of the SPA with the templates filled in as the nginx image fills them at start,
// and every answer must carry the security headers. Needs Debian's nginx (`apt-get install nginx`).

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCsp } from '@cloud-sound/server/testing/csp';
import { findNginx, type RunningWebNginx, startWebNginx } from '@cloud-sound/system';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
/** Deliberately not the compose value, so a CSP that ignores API_ORIGIN fails. */
const API_ORIGIN = 'http://api.cloud-sound.test:8080';

/**
 * The CSP hashes of the <style> wavesurfer.js writes into each waveform's shadow root, one per
 * height the app draws: recomputed from the installed wavesurfer.js, so an upgrade that changes
 * the style fails here instead of in a browser.
 */
async function wavesurferStyleHashes(): Promise<string[]> {
  // The heights, read from the web app's source (the root package does not import web/).
  const heightsSource = await readFile(
    join(REPO, 'web/src/components/player/waveform-heights.ts'),
    'utf8',
  );
  const heights = [
    ...(/WAVEFORM_HEIGHTS = \{([^}]*)\}/.exec(heightsSource)?.[1] ?? '').matchAll(/:\s*(\d+)/g),
  ].map((match) => Number(match[1]));
  expect(heights.length, 'no WAVEFORM_HEIGHTS in waveform-heights.ts').toBeGreaterThan(0);
  const source = await readFile(
    join(REPO, 'web/node_modules/wavesurfer.js/dist/wavesurfer.esm.js'),
    'utf8',
  );
  const start = source.indexOf('<style${');
  expect(start, 'wavesurfer.js no longer writes a <style> element').toBeGreaterThan(-1);
  const bodyStart = source.indexOf('}>', start) + 2;
  const body = source.slice(bodyStart, source.indexOf('</style>', bodyStart));
  // The style is a template literal whose one expression is the waveform's height.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: it becomes the evaluated literal's own placeholder
  const style = new Function('height', `return \`${body.replace(/\$\{[^}]*\}/g, '${height}')}\`;`);
  return heights.map(
    (height) => `'sha256-${createHash('sha256').update(style(height)).digest('base64')}'`,
  );
}

let dir: string;
let dist: string;
let nginx: RunningWebNginx | undefined;
let url: string;

beforeAll(async () => {
  if (!findNginx())
    throw new Error("Debian's nginx is needed for this test: apt-get install nginx");
  styleHashes = await wavesurferStyleHashes();
  dir = await mkdtemp(join(tmpdir(), 'cloud-sound-nginx-'));
  dist = join(dir, 'html');
  nginx = await startWebNginx({ apiUrl: `${API_ORIGIN}/`, port: await getPort(), dir });
  url = nginx.url;
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let styleHashes: string[];

function expectSecurityHeaders(reply: Response): void {
  const csp = parseCsp(reply.headers.get('content-security-policy'));
  expect(csp).toEqual({
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    // Only wavesurfer's own shadow-root styles, by hash; never 'unsafe-inline'.
    'style-src': ["'self'", ...styleHashes],
    'img-src': ["'self'"],
    'connect-src': ["'self'", API_ORIGIN],
    'media-src': ["'self'", API_ORIGIN],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  });
  expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
  expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
  expect(reply.headers.get('x-frame-options')).toBe('DENY');
  expect(reply.headers.get('permissions-policy')).toContain('microphone=()');
  expect(reply.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  // No version for whoever looks for a vulnerable one.
  expect(reply.headers.get('server')).toBe('nginx');
}

describe('the web app behind nginx', () => {
  it('builds to pages the policy allows: no inline script or style, assets from /assets', async () => {
    const html = await readFile(join(dist, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/assets\//);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('sends the security headers with the app, with no-cache on its entry page', async () => {
    const reply = await fetch(`${url}/`);
    expect(reply.status).toBe(200);
    expect(await reply.text()).toContain('<div id="root">');
    expectSecurityHeaders(reply);
    expect(reply.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends them with a client-side route, which falls back to the entry page', async () => {
    for (const path of [
      '/some/client/route',
      '/sounds/0190d1f0-aaaa-7bbb-8ccc-0123456789ab',
      '/users/7?q=pia',
    ]) {
      const reply = await fetch(`${url}${path}`);
      expect(reply.status, path).toBe(200);
      expect(reply.headers.get('content-type')).toContain('text/html');
      expect(await reply.text()).toContain('<div id="root">');
      expectSecurityHeaders(reply);
    }
  });

  it('serves robots.txt and the favicon as files, not as the entry page', async () => {
    const robots = await fetch(`${url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(robots.headers.get('content-type')).toContain('text/plain');
    expect(await robots.text()).toMatch(/^User-agent: \*/m);
    const favicon = await fetch(`${url}/favicon.svg`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get('content-type')).toContain('image/svg+xml');
  });

  it('sends them with the fingerprinted assets, cached for good', async () => {
    const [script] = (await readdir(join(dist, 'assets'))).filter((name) => name.endsWith('.js'));
    const reply = await fetch(`${url}/assets/${script}`);
    expect(reply.status).toBe(200);
    expectSecurityHeaders(reply);
    expect(reply.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('sends them with a missing asset, which is not cached', async () => {
    const reply = await fetch(`${url}/assets/missing-0000.js`);
    expect(reply.status).toBe(404);
    expectSecurityHeaders(reply);
    expect(reply.headers.get('cache-control')).toBeNull();
  });

  it('sends them with the health check', async () => {
    const reply = await fetch(`${url}/health`);
    expect(await reply.text()).toBe('ok\n');
    expectSecurityHeaders(reply);
  });
});

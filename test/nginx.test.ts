// The web app's nginx configuration (web/nginx/templates), run for real: Debian's nginx serves
// a fresh build of the SPA with the templates filled in as the nginx image fills them at start,
// and every answer must carry the security headers. Needs Debian's nginx (`apt-get install nginx`).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseCsp } from '@cloud-sound/server/testing/csp';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const TEMPLATES = join(REPO, 'web/nginx/templates');
const VITE = join(REPO, 'web/node_modules/vite/bin/vite.js');
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((path) => existsSync(path));
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

/** Every .template under web/nginx/templates, filled in as the image's envsubst step does. */
async function renderTemplates(outputDir: string, env: Record<string, string>): Promise<void> {
  for (const relative of await readdir(TEMPLATES, { recursive: true })) {
    if (!relative.endsWith('.template')) continue;
    let text = await readFile(join(TEMPLATES, relative), 'utf8');
    for (const [name, value] of Object.entries(env)) {
      text = text.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), value);
    }
    const output = join(outputDir, relative.slice(0, -'.template'.length));
    await mkdir(dirname(output), { recursive: true });
    await writeFile(output, text);
  }
}

/** Replaces `pattern` in `text`, failing if it is not there: the test must follow the config. */
function replaceExactly(text: string, pattern: string, replacement: string): string {
  expect(text, `web/nginx/templates/default.conf.template no longer has "${pattern}"`).toContain(
    pattern,
  );
  return text.replace(pattern, replacement);
}

let dir: string;
let dist: string;
let nginx: ChildProcess | undefined;
let nginxOutput = '';
let url: string;

beforeAll(async () => {
  if (!NGINX) throw new Error("Debian's nginx is needed for this test: apt-get install nginx");
  styleHashes = await wavesurferStyleHashes();
  dir = await mkdtemp(join(tmpdir(), 'cloud-sound-nginx-'));
  dist = join(dir, 'html');
  await promisify(execFile)(
    process.execPath,
    [VITE, 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: join(REPO, 'web'), env: { ...process.env, VITE_API_URL: `${API_ORIGIN}/` } },
  );

  // The image's layout: nginx.conf in /etc/nginx includes conf.d/*.conf inside `http`.
  await renderTemplates(join(dir, 'conf.d'), { API_ORIGIN });
  const port = await getPort();
  const serverConf = join(dir, 'conf.d/default.conf');
  let server = await readFile(serverConf, 'utf8');
  server = replaceExactly(server, 'listen 8080;', `listen 127.0.0.1:${port};`);
  server = replaceExactly(server, 'listen [::]:8080;', '');
  server = replaceExactly(server, 'root /usr/share/nginx/html;', `root ${dist};`);
  await writeFile(serverConf, server);
  await writeFile(
    join(dir, 'nginx.conf'),
    // As root, nginx would run its workers as nobody, who cannot read this private folder.
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include conf.d/*.conf;
}
`,
  );

  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nginx.stdout?.on('data', (chunk: Buffer) => {
    nginxOutput += chunk.toString();
  });
  nginx.stderr?.on('data', (chunk: Buffer) => {
    nginxOutput += chunk.toString();
  });
  url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (
    !(await fetch(`${url}/health`).then(
      (reply) => reply.ok,
      () => false,
    ))
  ) {
    if (nginx.exitCode !== null || Date.now() > deadline) {
      throw new Error(`nginx did not start with the web app's config:\n${nginxOutput}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}, 60_000);

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((done) => nginx?.once('exit', done));
    nginx.kill('SIGTERM');
    await exited;
  }
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

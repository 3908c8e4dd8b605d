// @vitest-environment node
// The JavaScript budgets: what the first page loads (the scripts index.html names and the
// modules it preloads) must stay within 130 kB gzipped, and everything `vite build` emits,
// the chunks loaded later too (wavesurfer.js for the first waveform, tus-js-client for the
// first upload), within 140 kB. The first budget was the only one, for all of it, until
// tus-js-client came (9.7 kB gzipped, loaded when an upload starts): 125.0 kB then.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';

const WEB = resolve(import.meta.dirname, '..');
const FIRST_PAGE_BUDGET_BYTES = 130 * 1000;
const BUDGET_BYTES = 140 * 1000;

let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

it('ships at most 130 kB of gzipped JavaScript to the first page, and 140 kB in all', {
  timeout: 120_000,
}, async () => {
  outDir = await mkdtemp(join(tmpdir(), 'cloud-sound-web-build-'));
  await promisify(execFile)(
    process.execPath,
    [join(WEB, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--logLevel', 'warn'],
    { cwd: WEB, env: { ...process.env, NODE_ENV: 'production' } },
  );
  const scripts = (await readdir(outDir, { recursive: true })).filter((file) =>
    /\.m?js$/.test(file),
  );
  expect(scripts.length).toBeGreaterThan(0);
  const sizes = await Promise.all(
    scripts.map(async (file) => ({
      file,
      gzip: gzipSync(await readFile(join(outDir as string, file)), { level: 9 }).length,
    })),
  );
  const html = await readFile(join(outDir, 'index.html'), 'utf8');
  const firstPage = new Set(
    [
      ...html.matchAll(
        /<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.m?js)"/g,
      ),
    ].map((match) => match[1]),
  );
  expect(firstPage.size).toBeGreaterThan(0);
  const sum = (files: typeof sizes) => files.reduce((total, { gzip }) => total + gzip, 0);
  const total = sum(sizes);
  const first = sum(sizes.filter(({ file }) => firstPage.has(file)));
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  console.log(
    `JavaScript, gzipped: ${sizes.map(({ file, gzip }) => `${file} ${kB(gzip)}`).join(', ')}; first page ${kB(first)} of ${kB(FIRST_PAGE_BUDGET_BYTES)}, total ${kB(total)} of ${kB(BUDGET_BYTES)}`,
  );
  expect(first).toBeLessThanOrEqual(FIRST_PAGE_BUDGET_BYTES);
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});

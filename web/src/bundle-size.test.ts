// @vitest-environment node
// The JavaScript budget: everything `vite build` emits (the first page's scripts and the chunks
// loaded later, such as wavesurfer.js) must stay within 130 kB gzipped.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';

const WEB = resolve(import.meta.dirname, '..');
const BUDGET_BYTES = 130 * 1000;

let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

it('ships at most 130 kB of gzipped JavaScript in all', { timeout: 120_000 }, async () => {
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
  const total = sizes.reduce((sum, { gzip }) => sum + gzip, 0);
  console.log(
    `JavaScript, gzipped: ${sizes.map(({ file, gzip }) => `${file} ${(gzip / 1000).toFixed(1)} kB`).join(', ')}; total ${(total / 1000).toFixed(1)} kB of ${BUDGET_BYTES / 1000} kB`,
  );
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});

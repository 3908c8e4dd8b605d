// Builds the web app when its build is missing, older than its sources, or made for another API
// URL. Vite inlines VITE_API_URL at build time, so the build lives in the data folder, stamped
// with the URL it was made for; `web/dist` (the Docker build's) is never touched.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_DIR } from './paths.ts';

const STAMP = '.cloud-sound-build.json';

/** What decides whether a build is current: the app's sources and config, and the lockfile. */
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];
const LOCKFILE = join(REPO_DIR, 'pnpm-lock.yaml');

/** Why `outDir` needs a (re)build for `apiUrl`, or undefined when it is current. */
export function staleWebBuild(webDir: string, outDir: string, apiUrl: string): string | undefined {
  const stampPath = join(outDir, STAMP);
  if (!existsSync(stampPath) || !existsSync(join(outDir, 'index.html'))) return 'no build yet';
  const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as { apiUrl?: string };
  if (stamp.apiUrl !== apiUrl) return `built for API ${stamp.apiUrl}, now ${apiUrl}`;
  const builtAt = statSync(stampPath).mtimeMs;
  if (newestMtime(LOCKFILE) > builtAt) return 'pnpm-lock.yaml changed since the last build';
  const newer = SOURCES.find((source) => newestMtime(join(webDir, source)) > builtAt);
  return newer ? `web/${newer} changed since the last build` : undefined;
}

/** Runs `vite build` into `outDir` unless the build there is current; `log` takes its output. */
export async function ensureWebBuild(options: {
  webDir: string;
  outDir: string;
  apiUrl: string;
  log: (line: string) => void;
}): Promise<void> {
  const { webDir, outDir, apiUrl } = options;
  const reason = staleWebBuild(webDir, outDir, apiUrl);
  if (!reason) return;
  options.log(`building the web app (${reason})`);
  const child = spawn(
    process.execPath,
    [
      join(webDir, 'node_modules/vite/bin/vite.js'),
      'build',
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    {
      cwd: webDir,
      env: { ...process.env, VITE_API_URL: apiUrl, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      options.log(line);
    });
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new Error(
      `building the web app failed (vite build exit code ${code}):\n${lines.slice(-40).join('\n')}`,
    );
  }
  writeFileSync(join(outDir, STAMP), JSON.stringify({ apiUrl }));
}

/** The newest mtime of a file, or of any file under a folder (0 when it does not exist). */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows only as its folder's mtime
  for (const entry of readdirSync(path)) {
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

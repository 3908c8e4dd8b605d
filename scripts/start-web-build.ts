// Builds the web app when its build is missing, older than its sources, or made for another API
// URL. Vite inlines VITE_API_URL at build time, so the build lives in the data folder, stamped
// with the URL it was made for; `web/dist` (the Docker build's) is never touched.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LineSink, prefixLines } from './start-output.ts';

const STAMP = '.cloud-sound-build.json';

/** What decides whether a build is current: the app's sources, its config and the lockfile. */
const SOURCES = [
  'web/src',
  'web/public',
  'web/index.html',
  'web/vite.config.ts',
  'web/package.json',
  'web/tsconfig.json',
  'pnpm-lock.yaml',
];

export function viteBin(repoDir: string): string {
  return join(repoDir, 'web/node_modules/vite/bin/vite.js');
}

/** Why `outDir` needs a (re)build for `apiUrl`, or undefined when it is current. */
export function staleWebBuild(repoDir: string, outDir: string, apiUrl: string): string | undefined {
  const stampPath = join(outDir, STAMP);
  if (!existsSync(stampPath) || !existsSync(join(outDir, 'index.html'))) return 'no build yet';
  const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as { apiUrl?: string };
  if (stamp.apiUrl !== apiUrl) return `built for API ${stamp.apiUrl}, now ${apiUrl}`;
  const builtAt = statSync(stampPath).mtimeMs;
  const newer = SOURCES.find((source) => newestMtime(join(repoDir, source)) > builtAt);
  return newer ? `${newer} changed since the last build` : undefined;
}

export async function ensureWebBuild(options: {
  repoDir: string;
  outDir: string;
  apiUrl: string;
  say: (line: string) => void;
  sink: LineSink;
}): Promise<void> {
  const { repoDir, outDir, apiUrl } = options;
  const reason = staleWebBuild(repoDir, outDir, apiUrl);
  if (!reason) return;
  options.say(`building the web app (${reason})`);
  const child = spawn(
    process.execPath,
    [viteBin(repoDir), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: join(repoDir, 'web'),
      env: { ...process.env, VITE_API_URL: apiUrl, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.stdout) prefixLines(child.stdout, 'web:build', options.sink);
  if (child.stderr) prefixLines(child.stderr, 'web:build', options.sink);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`building the web app failed (vite build exit code ${code})`);
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

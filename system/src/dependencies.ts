// Installs the workspace's dependencies when they are missing or older than the manifests, so
// `pnpm start` works on a fresh clone. The same job as pnpm's `verify-deps-before-run=install`,
// but scoped to the start (that setting would apply to every `pnpm run` in the repository) and
// also done when the command is run as plain `node system/src/cli/start.ts`. Node built-ins
// only: it runs before anything is installed.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Written by every `pnpm install` (pnpm 10); its mtime is when the install last finished. */
const INSTALL_STATE = 'node_modules/.pnpm-workspace-state-v1.json';

/** Why an install is needed, or undefined when node_modules is up to date. */
export function staleDependencies(repoDir: string): string | undefined {
  const statePath = join(repoDir, INSTALL_STATE);
  if (!existsSync(statePath)) return 'node_modules is missing';
  const installedAt = statSync(statePath).mtimeMs;
  for (const file of ['pnpm-lock.yaml', 'pnpm-workspace.yaml']) {
    if (mtime(join(repoDir, file)) > installedAt) return `${file} changed since the last install`;
  }
  for (const dir of ['.', ...workspacePackageDirs(repoDir)]) {
    const manifest = join(repoDir, dir, 'package.json');
    if (mtime(manifest) > installedAt) return `${dir}/package.json changed since the last install`;
    if (hasDependencies(manifest) && !existsSync(join(repoDir, dir, 'node_modules'))) {
      return `${dir}/node_modules is missing`;
    }
  }
  return undefined;
}

/** Runs `pnpm install` when `staleDependencies` says so; rejects if the install fails. */
export async function ensureDependencies(
  repoDir: string,
  say: (line: string) => void,
): Promise<void> {
  const reason = staleDependencies(repoDir);
  if (!reason) return;
  say(`installing dependencies (${reason}): pnpm install`);
  const [command, args] = pnpmCommand();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, [...args, 'install'], { cwd: repoDir, stdio: 'inherit' });
    child.once('error', (error) =>
      reject(
        new Error(
          `could not run pnpm (${error.message}); install it (\`. scripts/toolchain.sh\`) or run \`pnpm install\` yourself`,
        ),
      ),
    );
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`pnpm install failed (exit code ${code})`);
}

/** The pnpm that runs this script (`pnpm start` sets npm_execpath), else pnpm on PATH. */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm(\.c?js)?$/.test(execPath)) {
    return /\.c?js$/.test(execPath) ? [process.execPath, [execPath]] : [execPath, []];
  }
  return ['pnpm', []];
}

/** The folders the `packages:` globs of pnpm-workspace.yaml name (`dir` or `dir/*` forms). */
export function workspacePackageDirs(repoDir: string): string[] {
  const yaml = readFileSync(join(repoDir, 'pnpm-workspace.yaml'), 'utf8');
  const section = /^packages:\s*\n((?:[ \t]+-.*\n?|[ \t]*#.*\n?|\s*\n)*)/m.exec(yaml)?.[1] ?? '';
  const dirs: string[] = [];
  for (const match of section.matchAll(/^[ \t]+-\s*['"]?([^'"#\s]+)/gm)) {
    const pattern = match[1] as string;
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      const entries = existsSync(join(repoDir, parent))
        ? readdirSync(join(repoDir, parent), { withFileTypes: true })
        : [];
      for (const entry of entries) {
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
      }
    } else {
      dirs.push(pattern);
    }
  }
  return dirs.filter((dir) => existsSync(join(repoDir, dir, 'package.json')));
}

function hasDependencies(manifestPath: string): boolean {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  return ['dependencies', 'devDependencies'].some(
    (key) => Object.keys((manifest[key] as object | undefined) ?? {}).length > 0,
  );
}

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

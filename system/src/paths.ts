// Where things are on disk: the repository (for `pnpm install` and the default data folder)
// and each program's package folder, found through its package name like any import.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root: this package is `<root>/system`. */
export const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** `pnpm start`'s data folder when CLOUD_SOUND_DATA_DIR is unset (git-ignored). */
export const DEFAULT_DATA_DIR = join(REPO_DIR, 'data');

/**
 * The folder of a workspace package this one depends on, e.g. `@cloud-sound/server`. Resolved
 * from `specifier` (any file the package exports, or its package.json when it has no `exports`)
 * and walked up to the package.json that carries the name.
 */
export function packageDir(name: string, specifier = `${name}/package.json`): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(specifier)));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json named ${name} above ${specifier}`);
    dir = parent;
  }
}

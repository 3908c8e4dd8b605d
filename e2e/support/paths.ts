import { fileURLToPath } from 'node:url';

/** Screenshots of the main states, for people to look at (git-ignored). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../screenshots', import.meta.url));

/**
 * The screenshots the README shows (committed): written only when CLOUD_SOUND_DOCS_SCREENSHOTS=1,
 * so a run leaves the work tree as it was.
 */
export const DOCS_SCREENSHOT_DIR = fileURLToPath(
  new URL('../../docs/screenshots', import.meta.url),
);

export function updateDocsScreenshots(): boolean {
  return process.env.CLOUD_SOUND_DOCS_SCREENSHOTS === '1';
}

import { fileURLToPath } from 'node:url';

/** Screenshots of the main states, for people to look at (git-ignored). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../screenshots', import.meta.url));

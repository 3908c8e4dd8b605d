import { existsSync } from 'node:fs';

/**
 * Debian's Chromium (apt-get install chromium), never a browser downloaded by Playwright.
 * CHROMIUM_PATH points elsewhere when a machine keeps it in another place.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export const NO_CHROMIUM_MESSAGE = [
  '',
  '#'.repeat(78),
  `#  END-TO-END TESTS NOT RUN: no Chromium at ${CHROMIUM_PATH}.`,
  '#  Install it with `apt-get install chromium` (or set CHROMIUM_PATH).',
  '#  Outside CI the suite skips; with CI set it fails.',
  '#'.repeat(78),
  '',
].join('\n');

/** CI=true (or any value but "false" or "0") means a missing browser is a failure. */
export function inCi(): boolean {
  const value = process.env.CI?.trim().toLowerCase();
  return !!value && value !== 'false' && value !== '0';
}

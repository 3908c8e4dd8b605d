import { mkdir, rm } from 'node:fs/promises';
import { chromiumAvailable, inCi, NO_CHROMIUM_MESSAGE } from './chromium.ts';
import { SCREENSHOT_DIR } from './paths.ts';
import { startSystem } from './system.ts';

/**
 * Starts the whole system once for the run and hands its URLs to the tests through the
 * environment (the test workers are started after this and inherit it). Returns the teardown.
 */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (!chromiumAvailable()) {
    console.error(NO_CHROMIUM_MESSAGE);
    if (inCi()) throw new Error('Chromium is missing, and CI needs the end-to-end tests.');
    return undefined; // every test skips itself (see support/test.ts)
  }

  await rm(SCREENSHOT_DIR, { recursive: true, force: true });
  await mkdir(SCREENSHOT_DIR, { recursive: true });

  const started = Date.now();
  const system = await startSystem((line) => console.log(`[e2e] ${line}`));
  console.log(
    `[e2e] system up in ${((Date.now() - started) / 1000).toFixed(1)} s: web ${system.webUrl}, API ${system.apiUrl}`,
  );
  process.env.CLOUD_SOUND_E2E_WEB_URL = system.webUrl;
  process.env.CLOUD_SOUND_E2E_API_URL = system.apiUrl;
  return system.stop;
}

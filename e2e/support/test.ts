// The suite's `test`: Playwright's, pointed at the system that global-setup.ts started, with a
// temporary folder for the files a person would pick and a camera for the screenshots.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect } from '@playwright/test';
import { CHROMIUM_PATH, chromiumAvailable } from './chromium.ts';
import { DOCS_SCREENSHOT_DIR, SCREENSHOT_DIR, updateDocsScreenshots } from './paths.ts';

interface Fixtures {
  /** The API's URL, for setting the scene without the browser. */
  apiUrl: string;
  /** The production build of the web app behind nginx. */
  nginxUrl: string;
  /** An empty folder, deleted after the test: where the "files on the person's disk" go. */
  filesDir: string;
  /** Saves a full-page screenshot as screenshots/<project>-<NN>-<name>.png. */
  saveScreenshot: (name: string) => Promise<void>;
  /**
   * Saves what the window shows as docs/screenshots/<project>-<name>.png, for the README, when
   * CLOUD_SOUND_DOCS_SCREENSHOTS=1; otherwise does nothing.
   */
  docsScreenshot: (name: string) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  // Every test needs the base URL before its browser context exists, so a missing Chromium
  // skips the test here, before any launch is tried.
  baseURL: async ({ baseURL: _configured }, use, testInfo) => {
    testInfo.skip(!chromiumAvailable(), `no Chromium at ${CHROMIUM_PATH} (see the message above)`);
    await use(requiredEnv('CLOUD_SOUND_E2E_WEB_URL'));
  },
  apiUrl: async ({ baseURL: _started }, use) => {
    await use(requiredEnv('CLOUD_SOUND_E2E_API_URL'));
  },
  nginxUrl: async ({ baseURL: _started }, use, testInfo) => {
    const url = process.env.CLOUD_SOUND_E2E_NGINX_URL;
    testInfo.skip(!url, 'no nginx (see the message above)');
    await use(url ?? '');
  },
  filesDir: async ({ baseURL: _started }, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'cloud-sound-e2e-files-'));
    await use(dir);
    await rm(dir, { recursive: true, force: true });
  },
  saveScreenshot: async ({ page }, use, testInfo) => {
    let count = 0;
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await use(async (name) => {
      count += 1;
      const file = `${testInfo.project.name}-${String(count).padStart(2, '0')}-${name}.png`;
      await page.screenshot({ path: join(SCREENSHOT_DIR, file), fullPage: true });
    });
  },
  docsScreenshot: async ({ page }, use, testInfo) => {
    await use(async (name) => {
      if (!updateDocsScreenshots()) return;
      await mkdir(DOCS_SCREENSHOT_DIR, { recursive: true });
      // Quiet pixels: no blinking caret, no hover, no transition half-way.
      await page.mouse.move(0, 0);
      await page.screenshot({
        path: join(DOCS_SCREENSHOT_DIR, `${testInfo.project.name}-${name}.png`),
        animations: 'disabled',
        caret: 'hide',
      });
    });
  },
});

export { expect };

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`playwright test\``);
  return value;
}

/** A user id nobody else in this run picks (the run's user_api starts empty). */
export function newUserId(): number {
  return 1_000_000 + Math.floor(Math.random() * 2_000_000_000);
}

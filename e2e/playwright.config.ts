import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH, inCi } from './support/chromium.ts';

// Debian's Chromium, headless; Playwright's own browser download is never used (nor possible
// here). The journey runs on a phone-sized and on a desktop-sized window.
export default defineConfig({
  testDir: './tests',
  globalSetup: './support/global-setup.ts',
  outputDir: './test-results',
  fullyParallel: true,
  forbidOnly: inCi(),
  retries: 0,
  workers: 2,
  timeout: 60_000,
  // Generous: CI machines have two cores, shared by Chromium and four Node programs.
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    locale: 'en-GB',
    timezoneId: 'UTC',
  },
  projects: [
    {
      name: 'phone',
      testIgnore: /lighthouse/,
      use: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
    },
    {
      name: 'desktop',
      testIgnore: /lighthouse/,
      use: { viewport: { width: 1280, height: 800 } },
    },
    {
      // After the journeys, alone: timings are measured, and their sounds are on the page.
      name: 'lighthouse',
      testMatch: /lighthouse/,
      dependencies: ['phone', 'desktop'],
    },
  ],
});

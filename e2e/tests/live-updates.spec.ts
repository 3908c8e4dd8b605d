import { join } from 'node:path';
import { register, soundCard, upload, waitForSoundList, waveform } from '../support/actions.ts';
import { writeTone } from '../support/audio.ts';
import { expect, newUserId, test } from '../support/test.ts';

// Two people, two browsers (contexts), one system: what one does shows in the other's open page
// as it happens, through the live events (GET /events), without a reload.
test.describe.configure({ timeout: 120_000 });

test('a sound uploaded in one browser appears in another open one, turns into a waveform there, and leaves it when deleted', async ({
  page,
  browser,
  baseURL,
  filesDir,
}, testInfo) => {
  const title = `Live tone ${testInfo.project.name} ${Date.now()}`;
  const file = join(filesDir, 'live.wav');
  await writeTone(file, { hz: 440, seconds: 3, pulses: 1 });

  const watcherContext = await browser.newContext({ baseURL });
  const watcher = await watcherContext.newPage();
  await watcher.goto('/');
  await waitForSoundList(watcher);
  // Whatever the watcher's page shows from here on, it shows without loading again.
  await watcher.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });

  const uploader = newUserId();
  await page.goto('/');
  await register(page, uploader);
  await upload(page, file, title);
  await expect(soundCard(page, title)).toBeVisible();

  await test.step('the new sound appears in the other browser, then its waveform', async () => {
    await expect(soundCard(watcher, title)).toBeVisible({ timeout: 5_000 });
    await expect(waveform(watcher, title)).toBeAttached({ timeout: 60_000 });
  });

  await test.step('it leaves the other browser when its owner deletes it', async () => {
    await page.getByRole('button', { name: `Delete ${title}`, exact: true }).click();
    // The delete is sent once its five seconds to undo are over.
    await expect(soundCard(watcher, title)).toHaveCount(0, { timeout: 15_000 });
  });

  expect(
    await watcher.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
  ).toBe(true);
  await watcherContext.close();
});

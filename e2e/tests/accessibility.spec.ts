import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext, Page, TestInfo } from '@playwright/test';
import { logIn, soundCard, upload, uploadRows, waitForSoundList } from '../support/actions.ts';
import { toneWav, writeTone } from '../support/audio.ts';
import { expect, newUserId, test } from '../support/test.ts';

// axe-core on the one page, as a visitor and as a logged-in user with sounds, finished uploads
// and an upload error on screen. Every violation is printed; serious and critical ones fail.

test('the main page, logged out, has no serious or critical accessibility violations', async ({
  page,
  request,
  apiUrl,
  saveScreenshot,
}, testInfo) => {
  const title = `Someone else's tone (${testInfo.project.name}, axe)`;
  await addSound(request, apiUrl, newUserId(), title);

  await page.goto('/');
  await waitForSoundList(page);
  await expect(soundCard(page, title)).toBeVisible();
  await saveScreenshot('axe-logged-out');
  await expectNoSeriousViolations(page, testInfo);
});

test('the main page, logged in, has no serious or critical accessibility violations', async ({
  page,
  request,
  apiUrl,
  filesDir,
  saveScreenshot,
}, testInfo) => {
  const userId = newUserId();
  const title = `My tone (${testInfo.project.name}, axe)`;
  await addSound(request, apiUrl, userId, title);
  const tone = join(filesDir, 'chirp.wav');
  const notes = join(filesDir, 'notes.txt');
  await writeTone(tone, { hz: 660, seconds: 1 });
  await writeFile(notes, 'not a sound');

  await page.goto('/');
  await logIn(page, userId);
  await expect(soundCard(page, title)).toBeVisible();
  // An upload that worked and one that was refused: progress bars and an error on screen.
  await upload(page, [tone, notes]);
  await expect(uploadRows(page).filter({ hasText: 'Uploaded as' })).toBeVisible();
  await expect(uploadRows(page).getByRole('alert')).toBeVisible();
  await saveScreenshot('axe-logged-in');
  await expectNoSeriousViolations(page, testInfo);
});

/** Registers `userId` and uploads a short tone as that user, straight through the API. */
async function addSound(request: APIRequestContext, apiUrl: string, userId: number, title: string) {
  const user = await request.post(`${apiUrl}/users`, { data: { id: userId } });
  expect(user.status()).toBe(201);
  const sound = await request.post(`${apiUrl}/sounds`, {
    headers: { 'X-User-Id': String(userId) },
    multipart: {
      title,
      file: { name: 'tone.wav', mimeType: 'audio/wav', buffer: toneWav({ hz: 440, seconds: 1 }) },
    },
  });
  expect(sound.status()).toBe(201);
}

async function expectNoSeriousViolations(page: Page, testInfo: TestInfo): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.passes.length, 'axe-core checked the page').toBeGreaterThan(0);
  await testInfo.attach('axe-violations.json', {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json',
  });
  for (const violation of results.violations) {
    console.log(
      `[axe ${testInfo.project.name}] ${violation.impact}: ${violation.id}: ${violation.help} (${violation.helpUrl})`,
    );
    for (const node of violation.nodes) {
      console.log(
        `    ${node.target.join(' ')}\n      ${node.failureSummary?.replace(/\n/g, '\n      ')}`,
      );
    }
  }
  const serious = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) => `${violation.impact}: ${violation.id} on ${violation.nodes.length} element(s)`,
    );
  expect(serious, 'serious or critical axe-core violations').toEqual([]);
}

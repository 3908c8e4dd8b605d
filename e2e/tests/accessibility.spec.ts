import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext, Page, TestInfo } from '@playwright/test';
import {
  logIn,
  soundCard,
  upload,
  uploadRows,
  waitForSoundList,
  waitUntilProcessed,
} from '../support/actions.ts';
import { toneWav, writeTone } from '../support/audio.ts';
import { expect, newUserId, test } from '../support/test.ts';

// axe-core on every page, with real processed sounds and waveforms on screen: not a single
// violation of any impact.
test.describe.configure({ timeout: 120_000 });

test('every page, logged out, has no accessibility violations', async ({
  page,
  request,
  apiUrl,
  saveScreenshot,
}, testInfo) => {
  const userId = newUserId();
  const title = `Someone else's tone ${testInfo.project.name} axe`;
  const soundId = await addSound(request, apiUrl, userId, title);

  await page.goto('/');
  await waitForSoundList(page);
  await waitUntilProcessed(soundCard(page, title), title);
  await saveScreenshot('axe-home');
  await expectNoViolations(page, testInfo, 'home');

  await page.goto(`/sounds/${soundId}`);
  await waitUntilProcessed(page, title);
  await expectNoViolations(page, testInfo, 'sound page');

  await page.goto(`/users/${userId}?q=tone`);
  await waitUntilProcessed(soundCard(page, title), title);
  await expectNoViolations(page, testInfo, 'person’s page, searched');

  await page.goto('/?q=nothing-matches-this');
  await expect(page.getByText('No sounds match “nothing-matches-this”.')).toBeVisible();
  await expectNoViolations(page, testInfo, 'search without results');

  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expectNoViolations(page, testInfo, '404');
});

test('every page, logged in and playing, has no accessibility violations', async ({
  page,
  request,
  apiUrl,
  filesDir,
  saveScreenshot,
}, testInfo) => {
  const userId = newUserId();
  const title = `My tone ${testInfo.project.name} axe`;
  const soundId = await addSound(request, apiUrl, userId, title);
  const tone = join(filesDir, 'chirp.wav');
  const notes = join(filesDir, 'notes.txt');
  await writeTone(tone, { hz: 660, seconds: 1 });
  await writeFile(notes, 'not a sound');

  await page.goto('/');
  await logIn(page, userId);
  await waitUntilProcessed(soundCard(page, title), title);
  // An upload that worked (still processing) and one that was refused, and a sound playing.
  await upload(page, [tone, notes]);
  await expect(uploadRows(page).filter({ hasText: 'Uploaded as' })).toBeVisible();
  await expect(uploadRows(page).getByRole('alert')).toBeVisible();
  await soundCard(page, title)
    .getByRole('button', { name: `Play ${title}` })
    .click();
  await expect(page.getByRole('region', { name: 'Player' })).toBeVisible();
  await saveScreenshot('axe-logged-in');
  await expectNoViolations(page, testInfo, 'home, logged in');

  // The owner's sound page, with its title being edited and a delete waiting for undo.
  await page.goto(`/sounds/${soundId}`);
  await waitUntilProcessed(page, title);
  await page.getByRole('button', { name: `Edit title of ${title}` }).click();
  await expect(page.getByRole('textbox', { name: 'Title' })).toBeFocused();
  await expectNoViolations(page, testInfo, 'sound page, editing');

  await page.goto(`/users/${userId}`);
  await waitUntilProcessed(soundCard(page, title), title);
  await page.getByRole('button', { name: `Delete ${title}` }).click();
  await expect(page.getByRole('button', { name: `Undo deleting “${title}”` })).toBeVisible();
  await expectNoViolations(page, testInfo, 'my sounds, undo offered');
  await page.getByRole('button', { name: `Undo deleting “${title}”` }).click();
  await expect(soundCard(page, title)).toBeVisible();
});

/** Registers `userId` and uploads a short tone as that user, straight through the API. */
async function addSound(
  request: APIRequestContext,
  apiUrl: string,
  userId: number,
  title: string,
): Promise<string> {
  const user = await request.post(`${apiUrl}/users`, { data: { id: userId } });
  expect(user.status()).toBe(201);
  const sound = await request.post(`${apiUrl}/sounds`, {
    headers: { 'X-User-Id': String(userId) },
    multipart: {
      title,
      file: { name: 'tone.wav', mimeType: 'audio/wav', buffer: toneWav({ hz: 440, seconds: 3 }) },
    },
  });
  expect(sound.status()).toBe(201);
  return ((await sound.json()) as { id: string }).id;
}

async function expectNoViolations(page: Page, testInfo: TestInfo, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.passes.length, 'axe-core checked the page').toBeGreaterThan(0);
  await testInfo.attach(`axe-violations-${where}.json`, {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json',
  });
  for (const violation of results.violations) {
    console.log(
      `[axe ${testInfo.project.name}, ${where}] ${violation.impact}: ${violation.id}: ${violation.help} (${violation.helpUrl})`,
    );
    for (const node of violation.nodes) {
      console.log(
        `    ${node.target.join(' ')}\n      ${node.failureSummary?.replace(/\n/g, '\n      ')}`,
      );
    }
  }
  expect(
    results.violations.map(
      (violation) => `${violation.impact}: ${violation.id} on ${violation.nodes.length} element(s)`,
    ),
    `axe-core violations on the ${where}`,
  ).toEqual([]);
}

import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import {
  expectFitsTheWindow,
  register,
  soundCard,
  upload,
  uploadRows,
} from '../support/actions.ts';
import { writeTone } from '../support/audio.ts';
import { expect, newUserId, test } from '../support/test.ts';

// A long recording (about 35 MB, five chunks of 8 MiB) sent as a resumable upload (tus): it
// rides out a lost connection, and survives a reload when its file is chosen again.
test.describe.configure({ timeout: 180_000 });

/** 800 s of 16-bit mono at 22.05 kHz: 35.3 MB. */
const LONG_TONE = { hz: 330, seconds: 800, pulses: 0.05 };

/**
 * Holds each PATCH to `/uploads` for `ms` before it goes out, so that there is time to act
 * between chunks (on the machine's loopback they would all be sent within a second). Returns a
 * function that lets them go at full speed again.
 */
async function slowChunks(page: Page, apiUrl: string, ms: number): Promise<() => Promise<void>> {
  const pattern = `${apiUrl}/uploads/**`;
  await page.route(pattern, async (route) => {
    if (route.request().method() === 'PATCH') await new Promise((done) => setTimeout(done, ms));
    await route.continue().catch(() => {}); // the page may have gone meanwhile (a reload)
  });
  return () => page.unroute(pattern);
}

/** The tus requests the page sends: method and `Upload-Offset`, in order. */
function recordTusRequests(page: Page, apiUrl: string) {
  const sent: { method: string; offset: number | null }[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(`${apiUrl}/uploads`) || request.method() === 'OPTIONS') return;
    const offset = request.headers()['upload-offset'];
    sent.push({ method: request.method(), offset: offset === undefined ? null : Number(offset) });
  });
  return sent;
}

/** The upload's row in the "Uploads" list, and its progress bar. */
function uploadOf(page: Page, fileName: string) {
  const row = uploadRows(page).filter({ hasText: fileName });
  return { row, progress: row.getByRole('progressbar', { name: fileName, exact: true }) };
}

async function percentOf(progress: Locator): Promise<number> {
  return Number((await progress.getAttribute('value')) ?? 0);
}

/** axe-core finds nothing wrong with the upload panel as it is now, and it fits the window. */
async function expectAccessibleUploads(page: Page): Promise<void> {
  await expectFitsTheWindow(page);
  const results = await new AxeBuilder({ page }).include('section.upload-panel').analyze();
  expect(results.passes.length, 'axe-core checked the panel').toBeGreaterThan(0);
  expect(
    results.violations.map(({ id, nodes }) => `${id}: ${nodes.map((node) => node.html).join(' ')}`),
  ).toEqual([]);
}

test('a large upload rides out a lost connection: it says so, retries, and completes from where it was', async ({
  page,
  context,
  apiUrl,
  filesDir,
  saveScreenshot,
}, testInfo) => {
  const title = `Long take ${testInfo.project.name} ${Date.now()}`;
  const file = join(filesDir, 'long-take.wav');
  await writeTone(file, LONG_TONE);

  await page.goto('/');
  await register(page, newUserId());
  const sent = recordTusRequests(page, apiUrl);
  const fullSpeed = await slowChunks(page, apiUrl, 1_500);
  await upload(page, file, title);

  const { row, progress } = uploadOf(page, 'long-take.wav');
  await test.step('goes offline once part of it is sent', async () => {
    await expect.poll(() => percentOf(progress), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await percentOf(progress)).toBeLessThan(100);
    await context.setOffline(true);
    await expect(row).toContainText('Connection lost, retrying…');
    await expect(progress).toHaveAttribute('aria-valuetext', 'Connection lost, retrying…');
    await expect(row.getByRole('alert')).toHaveCount(0);
    await expect(row.getByRole('button', { name: 'Pause upload of long-take.wav' })).toBeVisible();
    await expectAccessibleUploads(page);
    await saveScreenshot('upload-retrying');
    // Still offline a while later: retrying, not failed.
    await page.waitForTimeout(2_000);
    await expect(row).toContainText('Connection lost, retrying…');
  });

  await test.step('comes back online: the upload goes on and the sound appears', async () => {
    await context.setOffline(false);
    await fullSpeed();
    await expect(row).toContainText(`Uploaded as “${title}”`, { timeout: 60_000 });
    await expect(soundCard(page, title)).toBeVisible();
  });

  // One upload, resumed where the server was: never created again, never sent from 0 again.
  expect(sent.filter(({ method }) => method === 'POST')).toHaveLength(1);
  expect(sent.filter(({ method, offset }) => method === 'PATCH' && offset === 0)).toHaveLength(1);
  expect(sent.some(({ method }) => method === 'HEAD')).toBe(true);
});

test('after a reload mid-upload, the unfinished upload is offered and choosing the file again resumes it', async ({
  page,
  apiUrl,
  filesDir,
  saveScreenshot,
}, testInfo) => {
  const title = `Reloaded take ${testInfo.project.name} ${Date.now()}`;
  const file = join(filesDir, 'reloaded-take.wav');
  await writeTone(file, { ...LONG_TONE, hz: 370 });

  await page.goto('/');
  await register(page, newUserId());
  await slowChunks(page, apiUrl, 1_500);
  const firstChunk = page.waitForResponse(
    (response) =>
      response.url().startsWith(`${apiUrl}/uploads/`) &&
      response.request().method() === 'PATCH' &&
      response.status() === 204,
    { timeout: 30_000 },
  );
  await upload(page, file, title);
  await firstChunk;

  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.reload();
  const sent = recordTusRequests(page, apiUrl);
  const unfinished = page.getByRole('list', { name: 'Unfinished uploads' }).getByRole('listitem');
  await expect(unfinished).toHaveCount(1);
  await expect(unfinished).toContainText(
    /^Unfinished: reloaded-take\.wav, [1-9][0-9]?% — choose the file again to resume\./,
  );
  const offered = Number(/, ([0-9]+)%/.exec((await unfinished.textContent()) ?? '')?.[1]);
  await expect(
    unfinished.getByRole('button', { name: 'Discard unfinished upload of reloaded-take.wav' }),
  ).toBeVisible();
  await expectAccessibleUploads(page);
  await saveScreenshot('upload-unfinished');

  await unfinished.getByLabel('Choose reloaded-take.wav again').setInputFiles(file);
  const { row, progress } = uploadOf(page, 'reloaded-take.wav');
  // The bar starts where the server is.
  expect(await percentOf(progress)).toBeGreaterThanOrEqual(offered);
  await expect(page.getByRole('list', { name: 'Unfinished uploads' })).toHaveCount(0);
  await expect(row).toContainText(`Uploaded as “${title}”`, { timeout: 60_000 });
  await expect(soundCard(page, title)).toBeVisible();

  // Resumed: asked where it was, and sent only the rest (the title was sent before the reload).
  expect(sent.some(({ method }) => method === 'POST')).toBe(false);
  const patches = sent.filter(({ method }) => method === 'PATCH');
  expect(patches.length).toBeGreaterThan(0);
  expect(patches[0]?.offset).toBeGreaterThan(0);
  await page.reload();
  await expect(soundCard(page, title)).toBeVisible();
  await expect(page.getByRole('list', { name: 'Unfinished uploads' })).toHaveCount(0);
});

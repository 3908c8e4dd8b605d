import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  expectFitsTheWindow,
  logIn,
  logOut,
  player,
  register,
  sessionStatus,
  soundCard,
  upload,
  uploadRows,
  waitForSoundList,
} from '../support/actions.ts';
import { writeTone } from '../support/audio.ts';
import { expect, newUserId, test } from '../support/test.ts';

test('a person registers, uploads two tones both called tone.wav, listens, deletes one; another person cannot delete the other', async ({
  page,
  filesDir,
  saveScreenshot,
}, testInfo) => {
  const alice = newUserId();
  const bob = newUserId();
  // Both window sizes run at once against one system: titles say which run made them.
  const lowTitle = `Low hum (${testInfo.project.name})`;
  const highTitle = `High whistle (${testInfo.project.name})`;

  // Two different recordings that happen to share a file name, in two folders.
  const lowFile = join(filesDir, 'low', 'tone.wav');
  const highFile = join(filesDir, 'high', 'tone.wav');
  await mkdir(join(filesDir, 'low'));
  await mkdir(join(filesDir, 'high'));
  await writeTone(lowFile, { hz: 220, seconds: 6 });
  await writeTone(highFile, { hz: 880, seconds: 2 });

  await test.step('a visitor opens the app and is not logged in', async () => {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1, name: 'Cloud Sound' })).toBeVisible();
    await expect(sessionStatus(page)).toHaveText('Not logged in');
    await waitForSoundList(page);
    await expect(page.getByRole('region', { name: 'Upload sounds' })).toHaveCount(0);
    await expectFitsTheWindow(page);
    await saveScreenshot('logged-out');
  });

  await test.step('registers as a new user, and is logged in at once', async () => {
    await register(page, alice);
    await expect(page.getByRole('region', { name: 'Upload sounds' })).toBeVisible();
  });

  await test.step('logs out, then logs in again with the same id', async () => {
    await logOut(page);
    await expect(page.getByRole('form', { name: 'Log in' })).toBeVisible();
    await logIn(page, alice);
    await saveScreenshot('logged-in');
  });

  await test.step('uploads the two tones, one after the other, each with a title', async () => {
    await upload(page, lowFile, lowTitle);
    await expect(uploadRows(page).filter({ hasText: `Uploaded as “${lowTitle}”` })).toBeVisible();
    await upload(page, highFile, highTitle);
    await expect(uploadRows(page).filter({ hasText: `Uploaded as “${highTitle}”` })).toBeVisible();

    // One finished progress bar per file, both named after the file.
    const bars = page.getByRole('list', { name: 'Uploads' }).getByRole('progressbar', {
      name: 'tone.wav',
    });
    await expect(bars).toHaveCount(2);
    for (const bar of await bars.all()) await expect(bar).toHaveAttribute('value', '100');
  });

  await test.step('sees both sounds listed, as two different sounds', async () => {
    const low = soundCard(page, lowTitle);
    const high = soundCard(page, highTitle);
    await expect(low).toBeVisible();
    await expect(high).toBeVisible();
    await expect(low).toContainText(`you (user ${alice})`);
    // Different recordings: their lengths differ (6 s and 2 s).
    await expect(low).toContainText(/Length\s*0:06/);
    await expect(high).toContainText(/Length\s*0:02/);
    const lowSource = await player(low, lowTitle).getAttribute('src');
    const highSource = await player(high, highTitle).getAttribute('src');
    expect(lowSource).toBeTruthy();
    expect(lowSource).not.toBe(highSource);
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await expect(page.getByRole('list', { name: 'Uploads' })).toHaveCount(0);
    await expectFitsTheWindow(page);
    await saveScreenshot('two-uploaded');
  });

  await test.step('plays the low hum and skips ahead to the middle', async () => {
    const audio = player(soundCard(page, lowTitle), lowTitle);
    await audio.scrollIntoViewIfNeeded();
    // preload="metadata": the length is known before playing.
    await expect
      .poll(() => audio.evaluate((element: HTMLAudioElement) => element.duration))
      .toBeCloseTo(6, 1);

    // Space on the focused player is its play button.
    await audio.focus();
    await page.keyboard.press('Space');
    await expect
      .poll(() => audio.evaluate((element: HTMLAudioElement) => element.currentTime))
      .toBeGreaterThan(0.2);
    await audio.evaluate((element: HTMLAudioElement) => {
      element.currentTime = 3;
    });
    await expect
      .poll(() => audio.evaluate((element: HTMLAudioElement) => element.currentTime))
      .toBeGreaterThan(3.3);

    const state = await audio.evaluate((element: HTMLAudioElement) => ({
      error: element.error && { code: element.error.code, message: element.error.message },
      paused: element.paused,
      seekable: element.seekable.length > 0 ? element.seekable.end(0) : 0,
    }));
    expect(state).toEqual({ error: null, paused: false, seekable: expect.closeTo(6, 1) });
    await saveScreenshot('playing');
    await audio.evaluate((element: HTMLAudioElement) => element.pause());
  });

  await test.step('deletes the high whistle; it is gone, also after a reload', async () => {
    await page.getByRole('button', { name: `Delete ${highTitle}`, exact: true }).click();
    await expect(soundCard(page, highTitle)).toHaveCount(0);
    await expect(soundCard(page, lowTitle)).toBeVisible();
    // The card goes at once (optimistically); the page says when the server has confirmed.
    await expect(
      page.getByRole('status').filter({ hasText: `Deleted “${highTitle}”.` }),
    ).toBeAttached();

    await page.reload();
    await expect(sessionStatus(page)).toHaveText(`Logged in as user ${alice}`);
    await expect(soundCard(page, lowTitle)).toBeVisible();
    await expect(soundCard(page, highTitle)).toHaveCount(0);
    await saveScreenshot('after-delete');
  });

  await test.step('another person sees the low hum but no way to delete it', async () => {
    await logOut(page);
    await register(page, bob);
    const low = soundCard(page, lowTitle);
    await expect(low).toBeVisible();
    await expect(low).toContainText(`user ${alice}`);
    await expect(low.getByRole('button')).toHaveCount(0);
    await expect(page.getByRole('button', { name: `Delete ${lowTitle}` })).toHaveCount(0);

    await page.getByRole('radio', { name: 'My sounds' }).check();
    await expect(page.getByText('You have not uploaded any sounds yet.')).toBeVisible();
    await page.getByRole('radio', { name: 'All sounds' }).check();
    await expect(low).toBeVisible();
    await saveScreenshot('second-user');
  });

  await test.step('tries to upload a text file, and is told why it was refused', async () => {
    const notes = join(filesDir, 'notes.txt');
    await writeFile(notes, 'Shopping list: milk, eggs, a better microphone.\n');
    await upload(page, notes);
    const row = uploadRows(page).filter({ hasText: 'notes.txt' });
    await expect(row.getByRole('alert')).toHaveText(
      '“notes.txt” is not an audio file the server accepts. Try MP3, WAV, OGG, Opus, FLAC, M4A, AAC, WebM or AIFF.',
    );
    await expect(row).toContainText('Failed');
    await expect(soundCard(page, 'notes')).toHaveCount(0);
    await expectFitsTheWindow(page);
    await saveScreenshot('upload-refused');
  });
});

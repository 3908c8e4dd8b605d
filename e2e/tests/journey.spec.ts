import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  dropFile,
  expectFitsTheWindow,
  logIn,
  logOut,
  notifications,
  playerBar,
  playerPosition,
  register,
  sessionStatus,
  soundCard,
  upload,
  uploadRows,
  waitForSoundList,
  waitUntilProcessed,
  waveform,
} from '../support/actions.ts';
import { toneWav, writeTone } from '../support/audio.ts';
import { expect, newUserId, test } from '../support/test.ts';

// The whole listening experience, on a phone-sized and a desktop-sized window against one
// running system (titles say which window made them, as both run at once).
test.describe.configure({ timeout: 180_000 });

test('a person uploads (picked and dropped), waits for processing, listens, seeks, searches, renames, deletes with undo; another person cannot change it', async ({
  page,
  filesDir,
  saveScreenshot,
  docsScreenshot,
}, testInfo) => {
  const run = testInfo.project.name;
  const alice = newUserId();
  const bob = newUserId();
  const lowTitle = `Low hum ${run}`;
  const highTitle = `High whistle ${run}`;
  const droppedTitle = `chirp-${run}`;
  const renamed = `Deep drone ${run}`;

  // Two different recordings that happen to share a file name, in two folders.
  const lowFile = join(filesDir, 'low', 'tone.wav');
  const highFile = join(filesDir, 'high', 'tone.wav');
  await mkdir(join(filesDir, 'low'));
  await mkdir(join(filesDir, 'high'));
  // Long enough that it never ends (and moves on to the next sound) while the steps run.
  await writeTone(lowFile, { hz: 220, seconds: 40, pulses: 0.3 });
  await writeTone(highFile, { hz: 880, seconds: 4, pulses: 1.3 });

  await test.step('a visitor opens the app, is not logged in, and registers', async () => {
    await page.goto('/');
    await expect(page).toHaveTitle('Cloud Sound');
    await expect(sessionStatus(page)).toHaveText('Not logged in');
    await waitForSoundList(page);
    await expect(page.getByRole('region', { name: 'Upload sounds' })).toHaveCount(0);
    await expectFitsTheWindow(page);
    await register(page, alice);
    await logOut(page);
    await logIn(page, alice);
  });

  await test.step('sees the limits, the formats and their storage use before choosing', async () => {
    const section = page.getByRole('region', { name: 'Upload sounds' });
    await expect(section).toContainText('up to 4.3 GB and 3 hours each');
    // A new user: nothing stored yet, of the default 10 GiB.
    await expect(section.getByRole('meter', { name: 'Your storage' })).toHaveAccessibleDescription(
      '0 B of 11 GB used',
    );
    await expect(section).toContainText('MP3');
    const accept = await section.getByLabel('Audio files').getAttribute('accept');
    expect(accept).toContain('.wav');
    expect(accept).toContain('audio/mpeg');
  });

  await test.step('uploads two tones with the file input; they appear at once, processing', async () => {
    await upload(page, lowFile, lowTitle);
    await expect(uploadRows(page).filter({ hasText: `Uploaded as “${lowTitle}”` })).toBeVisible();
    await upload(page, highFile, highTitle);
    await expect(uploadRows(page).filter({ hasText: `Uploaded as “${highTitle}”` })).toBeVisible();
    await expect(soundCard(page, lowTitle)).toBeVisible();
    await expect(soundCard(page, highTitle)).toBeVisible();
    await expect(soundCard(page, lowTitle)).toContainText(`you (user ${alice})`);
  });

  await test.step('drops a third file onto the page', async () => {
    await dropFile(page, {
      name: `${droppedTitle}.wav`,
      type: 'audio/wav',
      bytes: toneWav({ hz: 660, seconds: 2, pulses: 2.5 }),
    });
    await expect(
      uploadRows(page).filter({ hasText: `Uploaded as “${droppedTitle}”` }),
    ).toBeVisible();
    await expect(soundCard(page, droppedTitle)).toBeVisible();
  });

  await test.step('waits until processing has made each waveform', async () => {
    for (const title of [lowTitle, highTitle, droppedTitle]) {
      await waitUntilProcessed(soundCard(page, title), title);
      await expect(soundCard(page, title).getByText('Processing…')).toHaveCount(0);
    }
    await expect(soundCard(page, lowTitle)).toContainText(/Length\s*0:40/);
    await expect(soundCard(page, highTitle)).toContainText(/Length\s*0:04/);
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await expectFitsTheWindow(page);
    await saveScreenshot('processed');
  });

  // A quarter in, so the 30 s left outlast the seeking steps on a slow machine (at its end the
  // player moves on to the next sound, and the position would be another sound's).
  await test.step('plays the low hum by clicking a quarter into its waveform', async () => {
    const slider = waveform(soundCard(page, lowTitle), lowTitle);
    await slider.scrollIntoViewIfNeeded();
    const box = await slider.boundingBox();
    if (!box) throw new Error('the waveform has no box');
    await page.mouse.click(box.x + box.width * 0.25, box.y + box.height / 2);

    const bar = playerBar(page);
    await expect(bar).toBeVisible();
    await expect(bar.getByRole('link', { name: lowTitle })).toBeVisible();
    await expect(bar.getByRole('link', { name: `user ${alice}` })).toBeVisible();
    await expect(bar.getByRole('button', { name: 'Pause' })).toBeVisible();
    await expect.poll(() => playerPosition(page)).toBeGreaterThan(8.5);
    await expect(slider).toHaveAttribute('aria-valuetext', /^0:(09|1\d) of 0:40$/);
    // Playing, not just placed: the position moves on.
    const placed = await playerPosition(page);
    await expect.poll(() => playerPosition(page)).toBeGreaterThan(placed + 0.3);

    // Levelled to one loudness through Web Audio (so the audio is fetched with CORS): on by
    // default; the sound plays on while it is switched off and on.
    const level = bar.getByRole('switch', { name: 'Level volume' });
    await expect(level).toBeChecked();
    await level.click();
    await expect(level).not.toBeChecked();
    await level.click();
    await expect(level).toBeChecked();
    const switched = await playerPosition(page);
    await expect.poll(() => playerPosition(page)).toBeGreaterThan(switched + 0.3);
    await expectFitsTheWindow(page);
  });

  await test.step('drags on the waveform to seek back', async () => {
    const slider = waveform(soundCard(page, lowTitle), lowTitle);
    // In the middle of the screen, as a person scrolls to it: not under the fixed player bar.
    await slider.evaluate((element) => element.scrollIntoView({ block: 'center' }));
    const box = await slider.boundingBox();
    if (!box) throw new Error('the waveform has no box');
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => playerPosition(page)).toBeLessThan(8);
    await expect(playerBar(page).getByRole('link', { name: lowTitle })).toBeVisible();
  });

  await test.step('uses the player with the keyboard alone', async () => {
    // Space anywhere (but in a field) pauses and plays; the arrows seek.
    await page.getByRole('heading', { name: 'All sounds' }).click();
    await page.keyboard.press('Space');
    await expect(playerBar(page).getByRole('button', { name: 'Play' })).toBeVisible();
    const paused = await playerPosition(page);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => playerPosition(page)).toBeCloseTo(Math.min(paused + 5, 40), 0);

    // Typing a space in the search box types a space and leaves the player alone.
    const search = page.getByRole('searchbox', { name: 'Search sounds' });
    await search.focus();
    await page.keyboard.type('a b');
    await expect(search).toHaveValue('a b');
    await expect(playerBar(page).getByRole('button', { name: 'Play' })).toBeVisible();
    await search.fill('');

    // The waveform is a slider: Home, End and the arrows move through the sound.
    const slider = waveform(soundCard(page, lowTitle), lowTitle);
    await slider.focus();
    await page.keyboard.press('Home');
    await expect(slider).toHaveAttribute('aria-valuetext', '0:00 of 0:40');
    await page.keyboard.press('ArrowRight');
    await expect(slider).toHaveAttribute('aria-valuetext', '0:05 of 0:40');
    await page.keyboard.press('Space');
    await expect(playerBar(page).getByRole('button', { name: 'Pause' })).toBeVisible();

    // The player's own buttons, reached by Tab.
    const bar = playerBar(page);
    await bar.getByRole('button', { name: 'Pause' }).focus();
    await page.keyboard.press('Enter');
    await expect(bar.getByRole('button', { name: 'Play' })).toBeFocused();
    await page.keyboard.press('Shift+Tab');
    await expect(bar.getByRole('button', { name: 'Previous sound' })).toBeFocused();
    // Five seconds in, Previous goes back to the start; pressed again, to the sound before.
    await page.keyboard.press('Enter');
    await expect.poll(() => playerPosition(page)).toBeLessThan(1);
    await page.keyboard.press('Enter');
    await expect(bar.getByRole('link', { name: lowTitle })).toHaveCount(0);
    await expect(bar.getByRole('button', { name: 'Pause' })).toBeVisible();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(bar.getByRole('button', { name: 'Next sound' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(bar.getByRole('link', { name: lowTitle })).toBeVisible();
    await expect(bar.getByRole('button', { name: 'Pause' })).toBeVisible();
    await saveScreenshot('playing');
  });

  await test.step('keeps playing on the sound page; the page survives a reload', async () => {
    await soundCard(page, lowTitle).getByRole('link', { name: lowTitle }).click();
    await expect(page).toHaveURL(/\/sounds\/[0-9a-f-]+$/);
    await expect(page.getByRole('heading', { level: 1, name: lowTitle })).toBeVisible();
    await expect(page).toHaveTitle(`${lowTitle} · Cloud Sound`);
    // The player bar came along and plays on.
    await expect(playerBar(page).getByRole('link', { name: lowTitle })).toBeVisible();
    await waitUntilProcessed(page, lowTitle);
    await docsScreenshot('sound');

    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: lowTitle })).toBeVisible();
    await waitUntilProcessed(page, lowTitle);
    const download = page.getByRole('link', { name: 'Download the original' });
    await expect(download).toHaveAttribute('href', /\/sounds\/[0-9a-f-]+\/audio$/);
    await expect(page.getByRole('link', { name: `you (user ${alice})` })).toBeVisible();
    await expectFitsTheWindow(page);
    await saveScreenshot('sound-page');
  });

  await test.step('searches: the query lives in the address, and back and forward restore it', async () => {
    await page.goto('/');
    if (run === 'phone') {
      // A phone shows the list, not the upload form above it.
      await page
        .getByRole('heading', { level: 2, name: 'All sounds' })
        .evaluate((heading) => heading.scrollIntoView({ block: 'start' }));
    }
    for (const title of [droppedTitle, highTitle]) {
      await waitUntilProcessed(soundCard(page, title), title);
    }
    if (run === 'desktop') await page.evaluate(() => window.scrollTo(0, 0));
    await docsScreenshot('home');
    const search = page.getByRole('search').getByRole('searchbox', { name: 'Search sounds' });
    await search.fill(`whis ${run}`);
    await expect(page).toHaveURL(new RegExp(`\\?q=whis\\+${run}$`));
    const results = page.getByRole('list', { name: `All sounds matching “whis ${run}”` });
    await expect(results.getByRole('article')).toHaveCount(1);
    await expect(soundCard(page, highTitle)).toBeVisible();
    await waitUntilProcessed(soundCard(page, highTitle), highTitle);
    await docsScreenshot('search');

    await search.fill('');
    await expect(page).toHaveURL(/\/$/);
    await page.goBack();
    await expect(page).toHaveURL(/\?q=whis/);
    await expect(search).toHaveValue(`whis ${run}`);
    await expect(results.getByRole('article')).toHaveCount(1);
    await page.goForward();
    await expect(search).toHaveValue('');

    // One person's page searches too.
    await page.goto(`/users/${alice}?q=hum`);
    await expect(page.getByRole('heading', { level: 1, name: 'My sounds' })).toBeVisible();
    await expect(soundCard(page, lowTitle)).toBeVisible();
    await expect(soundCard(page, highTitle)).toHaveCount(0);
  });

  await test.step('renames the low hum in place', async () => {
    await page.goto(`/users/${alice}`);
    const card = soundCard(page, lowTitle);
    await card.getByRole('button', { name: `Play ${lowTitle}` }).click();
    await expect(playerBar(page).getByRole('link', { name: lowTitle })).toBeVisible();
    await card.getByRole('button', { name: `Edit title of ${lowTitle}` }).click();
    const field = page.getByRole('textbox', { name: 'Title' });
    await expect(field).toBeFocused();
    await field.fill(renamed);
    await page.keyboard.press('Enter');
    await expect(soundCard(page, renamed)).toBeVisible();
    // The player shows the new name too.
    await expect(playerBar(page).getByRole('link', { name: renamed })).toBeVisible();
    await page.reload();
    await expect(soundCard(page, renamed)).toBeVisible();

    // Escape leaves it as it was.
    await soundCard(page, renamed)
      .getByRole('button', { name: `Edit title of ${renamed}` })
      .click();
    await page.getByRole('textbox', { name: 'Title' }).fill('Never saved');
    await page.keyboard.press('Escape');
    await expect(soundCard(page, renamed)).toBeVisible();
  });

  await test.step('deletes the whistle, undoes it, then deletes it for good', async () => {
    await page.getByRole('button', { name: `Delete ${highTitle}`, exact: true }).click();
    await expect(soundCard(page, highTitle)).toHaveCount(0);
    await expect(notifications(page)).toContainText(`Deleted “${highTitle}”.`);
    await notifications(page)
      .getByRole('button', { name: `Undo deleting “${highTitle}”` })
      .click();
    await expect(soundCard(page, highTitle)).toBeVisible();

    const sent = page.waitForRequest((request) => request.method() === 'DELETE');
    const clicked = Date.now();
    await page.getByRole('button', { name: `Delete ${highTitle}`, exact: true }).click();
    await expect(soundCard(page, highTitle)).toHaveCount(0);
    await expect(notifications(page)).toContainText(`Deleted “${highTitle}”.`);
    // The request goes out when the five seconds to undo are over.
    const request = await sent;
    expect(Date.now() - clicked).toBeGreaterThanOrEqual(4_500);
    expect((await request.response())?.status()).toBe(204);
    await expect(notifications(page).getByRole('button', { name: /Undo/ })).toHaveCount(0);
    await page.reload();
    await expect(soundCard(page, renamed)).toBeVisible();
    await expect(soundCard(page, highTitle)).toHaveCount(0);
    await saveScreenshot('after-delete');
  });

  await test.step('another person sees the sound but cannot rename or delete it', async () => {
    await page.goto('/');
    await logOut(page);
    await register(page, bob);
    const card = soundCard(page, renamed);
    await expect(card).toBeVisible();
    await expect(card.getByRole('button', { name: /Edit|Delete/ })).toHaveCount(0);
    await page.getByRole('link', { name: 'My sounds' }).click();
    await expect(page.getByText('You have not uploaded any sounds yet.')).toBeVisible();
  });

  await test.step('has a 404 page for unknown addresses and unknown sounds', async () => {
    await page.goto('/no/such/page');
    await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
    await page.goto('/sounds/00000000-0000-4000-8000-000000000000');
    await expect(page.getByRole('heading', { level: 1, name: 'Sound not found' })).toBeVisible();
    await page.getByRole('link', { name: 'Go to all sounds' }).click();
    await waitForSoundList(page);
  });

  await test.step('tries to upload a text file, and is told why it was refused', async () => {
    const notes = join(filesDir, 'notes.txt');
    await writeFile(notes, 'Shopping list: milk, eggs, a better microphone.\n');
    await upload(page, notes);
    const row = uploadRows(page).filter({ hasText: 'notes.txt' });
    // The decoder's verdict, in its words.
    await expect(row.getByRole('alert')).toHaveText(
      /^“notes\.txt” was not uploaded\. The file is not audio Cloud Sound can play: .+\.$/,
    );
    await expectFitsTheWindow(page);
  });
});

// What a person does on the page, by the names the page shows them (roles and labels only).
import { expect, type Locator, type Page } from '@playwright/test';

/** The header's "Not logged in" / "Logged in as user N". */
export function sessionStatus(page: Page): Locator {
  return page.getByRole('banner').getByRole('status');
}

export async function register(page: Page, userId: number): Promise<void> {
  const form = page.getByRole('form', { name: 'Register' });
  await form.getByLabel('New user id').fill(String(userId));
  await form.getByRole('button', { name: 'Register' }).click();
  await expect(sessionStatus(page)).toHaveText(`Logged in as user ${userId}`);
}

export async function logIn(page: Page, userId: number): Promise<void> {
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Your user id').fill(String(userId));
  await form.getByRole('button', { name: 'Log in' }).click();
  await expect(sessionStatus(page)).toHaveText(`Logged in as user ${userId}`);
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(sessionStatus(page)).toHaveText('Not logged in');
}

/** Picks `files` in "Audio files", types the title (if any) and presses Upload. */
export async function upload(page: Page, files: string | string[], title?: string): Promise<void> {
  const section = page.getByRole('region', { name: 'Upload sounds' });
  await section.getByLabel('Audio files').setInputFiles(files);
  if (title !== undefined) await section.getByLabel('Title (optional)').fill(title);
  await section.getByRole('button', { name: 'Upload', exact: true }).click();
}

/**
 * Drags a file from the desktop onto the page and lets go: the drop zone shows while it is
 * over the page, and the file is uploaded when it is dropped.
 */
export async function dropFile(
  page: Page,
  file: { name: string; type: string; bytes: Buffer },
): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, type, base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, { type }));
      return transfer;
    },
    { name: file.name, type: file.type, base64: file.bytes.toString('base64') },
  );
  await page.dispatchEvent('main', 'dragenter', { dataTransfer });
  await page.dispatchEvent('main', 'dragover', { dataTransfer });
  await expect(page.getByText('Drop audio files to upload them')).toBeVisible();
  await page.dispatchEvent('main', 'drop', { dataTransfer });
  await expect(page.getByText('Drop audio files to upload them')).toHaveCount(0);
}

/** The rows of the "Uploads" list: one per file sent, with its progress bar and outcome. */
export function uploadRows(page: Page): Locator {
  return page.getByRole('list', { name: 'Uploads' }).getByRole('listitem');
}

/** A sound in a list, by its title. */
export function soundCard(page: Page, title: string): Locator {
  return page.getByRole('article', { name: title, exact: true });
}

/** A sound's waveform: a slider named after the sound. */
export function waveform(scope: Page | Locator, title: string): Locator {
  return scope.getByRole('slider', { name: `Seek in ${title}`, exact: true });
}

/** The player fixed at the bottom of every page. */
export function playerBar(page: Page): Locator {
  return page.getByRole('region', { name: 'Player' });
}

/** The polite live region of the toasts ("Deleted “…”. Undo"). */
export function notifications(page: Page): Locator {
  return page.getByRole('status', { name: 'Notifications' });
}

/** The player's position in seconds, as its "Position" slider says. */
export async function playerPosition(page: Page): Promise<number> {
  return Number(await playerBar(page).getByRole('slider', { name: 'Position' }).inputValue());
}

/**
 * Waits until a sound has been processed: the "Processing…" badge has gone and the waveform,
 * drawn from the API's peaks, is on screen.
 */
export async function waitUntilProcessed(scope: Page | Locator, title: string): Promise<void> {
  const slider = waveform(scope, title);
  await expect(slider).toBeAttached({ timeout: 60_000 });
  // Waveforms are drawn when they come into view.
  await slider.scrollIntoViewIfNeeded();
  await expect(slider).toBeVisible();
  await expect(slider.locator('canvas').first()).toBeAttached();
}

/** Waits until the sound list has loaded (it shows sounds, or says there are none). */
export async function waitForSoundList(page: Page): Promise<void> {
  await expect(page.getByText('Loading sounds…')).toHaveCount(0);
  await expect(
    page
      .getByRole('list', { name: /sounds/ })
      .or(page.getByText(/No sounds|not uploaded|No sounds match/)),
  ).toBeVisible();
}

/** Nothing sticks out sideways: the page never needs a horizontal scroll bar. */
export async function expectFitsTheWindow(page: Page): Promise<void> {
  const { contentWidth, windowWidth } = await page.evaluate(() => ({
    contentWidth: document.documentElement.scrollWidth,
    windowWidth: document.documentElement.clientWidth,
  }));
  expect(contentWidth, 'the page is wider than the window').toBeLessThanOrEqual(windowWidth);
}

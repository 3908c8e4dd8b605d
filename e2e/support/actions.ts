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

/** The rows of the "Uploads" list: one per file sent, with its progress bar and outcome. */
export function uploadRows(page: Page): Locator {
  return page.getByRole('list', { name: 'Uploads' }).getByRole('listitem');
}

/** A sound in the list, by its title. */
export function soundCard(page: Page, title: string): Locator {
  return page.getByRole('article', { name: title, exact: true });
}

/** The `<audio>` player of a sound card: it is named by the sound's title. */
export function player(card: Locator, title: string): Locator {
  return card.getByLabel(title, { exact: true });
}

/** Waits until the sound list has loaded (it shows sounds, or says there are none). */
export async function waitForSoundList(page: Page): Promise<void> {
  await expect(page.getByText('Loading sounds…')).toHaveCount(0);
  await expect(
    page.getByRole('list', { name: /sounds$/ }).or(page.getByText(/No sounds yet|not uploaded/)),
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

import { basename, extname } from 'node:path';

const MAX_FILENAME_LENGTH = 255;
export const MAX_TITLE_LENGTH = 200;

/**
 * The uploader's filename, kept as metadata: without any folder part (some clients send
 * `C:\music\a.mp3`), control characters or surrounding spaces.
 */
export function cleanFilename(raw: string | undefined): string {
  // Browsers send `"`, CR and LF in multipart filenames as %22, %0D and %0A (WHATWG HTML).
  const decoded = (raw ?? '').replaceAll('%22', '"').replace(/%0[ad]/gi, '');
  const withoutFolders = basename(decoded.replaceAll('\\', '/'));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const cleaned = withoutFolders.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return firstCharacters(cleaned, MAX_FILENAME_LENGTH) || 'sound';
}

/** The title a sound gets when the uploader gives none: its filename without the extension. */
export function defaultTitle(filename: string): string {
  const stem = filename.slice(0, filename.length - extname(filename).length).trim();
  return firstCharacters(stem || filename, MAX_TITLE_LENGTH);
}

/** The first `count` characters, never cutting one in half (a UTF-16 surrogate pair). */
function firstCharacters(text: string, count: number): string {
  return Array.from(text).slice(0, count).join('');
}

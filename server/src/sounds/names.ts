import { basename, extname } from 'node:path';
import { MAX_TITLE_LENGTH } from '../contract.ts';
import { Errors } from '../lib/errors.ts';

const MAX_FILENAME_LENGTH = 255;
/** An extension longer than this is part of the name, not a type (`a.verylongsuffixhere`). */
const MAX_EXTENSION_LENGTH = 16;

// Line breaks and tabs become a space; other C0 and C1 controls go.
const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/**
 * Bidirectional embeddings, overrides, isolates and marks: U+202E turns `evil‮3pm.exe` into
 * what reads as `evilexe.mp3`. Text shown elsewhere in the page must not reorder it.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text a person typed or a client sent, made safe to store and show: NFC-normalised (so the
 * same name always compares equal), without control or bidi-control characters, trimmed.
 */
export function cleanText(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(LINE_BREAKS, ' ')
    .replace(CONTROLS, '')
    .replace(BIDI_CONTROLS, '')
    .trim();
}

/**
 * A title as a client sent it, cleaned; undefined when nothing visible is left. NUL (which
 * Postgres text cannot hold) and more than MAX_TITLE_LENGTH characters are 400s.
 */
export function cleanTitle(raw: string): string | undefined {
  if (raw.includes('\u0000')) throw new Errors.invalidTitle();
  const title = cleanText(raw);
  // Counted in characters (code points), as the schema's maxLength is, not UTF-16 units.
  if ([...title].length > MAX_TITLE_LENGTH) throw new Errors.titleTooLong(MAX_TITLE_LENGTH);
  return title || undefined;
}

/**
 * The uploader's filename, kept as metadata: without any folder part (some clients send
 * `C:\music\a.mp3`), control or bidi-control characters, or surrounding spaces. A name too
 * long is shortened in its stem, so it keeps its extension.
 */
export function cleanFilename(raw: string | undefined): string {
  // Browsers send `"`, CR and LF in multipart filenames as %22, %0D and %0A (WHATWG HTML).
  const decoded = (raw ?? '').replaceAll('%22', '"').replace(/%0[ad]/gi, '');
  const withoutFolders = basename(decoded.replaceAll('\\', '/'));
  const cleaned = cleanText(withoutFolders);
  if (Array.from(cleaned).length <= MAX_FILENAME_LENGTH) return cleaned || 'sound';
  const extension = extname(cleaned);
  const keep = extension.length <= MAX_EXTENSION_LENGTH ? extension : '';
  const stem = cleaned.slice(0, cleaned.length - keep.length);
  return firstCharacters(stem, MAX_FILENAME_LENGTH - Array.from(keep).length).trimEnd() + keep;
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

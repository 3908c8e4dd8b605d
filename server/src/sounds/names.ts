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
 * Letters (and their marks) of the scripts that need a joiner to be written right: ZWNJ
 * (U+200C) inside Persian words, ZWJ (U+200D) in Devanagari, Sinhala or Malayalam conjuncts.
 * Not the scripts that never use one (Latin, Greek, Cyrillic, CJK), where a joiner only hides
 * inside a word, nor marks shared by every script.
 */
const JOINING_LETTER = String.raw`[[\p{L}\p{M}]--[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Common}\p{sc=Inherited}]]`;

/**
 * Invisible characters: every format character (`\p{Cf}`: the zero-width space U+200B, ZWNJ and
 * ZWJ, LRM and RLM, the word joiner U+2060, the invisible operators U+2061–U+2064, the BOM
 * U+FEFF, the soft hyphen U+00AD, the bidirectional embeddings, overrides and isolates
 * U+202A–U+202E and U+2066–U+2069 — U+202E makes `invoice<U+202E>fdp.exe` read as
 * `invoiceexe.pdf` — the Arabic letter mark, tags…) and every other character Unicode says to
 * draw as nothing (`Default_Ignorable_Code_Point`: the Hangul fillers U+3164 and U+FFA0, the
 * combining grapheme joiner, variation selectors…). Removed, except where they are part of
 * visible text, matched first as the `kept` group so that the replacement puts them back:
 * - an emoji tag sequence (U+1F3F4, tags, cancel tag: the flags of England, Scotland, Wales);
 * - ZWJ between two emoji (woman + ZWJ + laptop is one "woman technologist");
 * - ZWJ, ZWNJ, the Mongolian vowel separator and the Egyptian hieroglyph format controls
 *   between two letters of a script that needs them (JOINING_LETTER);
 * - a variation selector right after the visible character it picks a form of (U+2764 U+FE0F,
 *   the red heart emoji; a Han character and an ideographic variation selector);
 * - the prepended concatenation marks (U+0600–U+0605, U+06DD, U+070F, U+0890–U+0891, U+08E2,
 *   U+110BD, U+110CD): format characters that are drawn, such as the Arabic number sign.
 */
const INVISIBLE = new RegExp(
  [
    String.raw`(?<kept>\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}`,
    String.raw`(?<=[\p{Extended_Pictographic}\p{Emoji_Modifier}\u{FE0F}])\u{200D}(?=\p{Extended_Pictographic})`,
    String.raw`(?<=${JOINING_LETTER})[\u{200C}\u{200D}\u{180E}\u{13430}-\u{1343F}](?=${JOINING_LETTER})`,
    String.raw`(?<=[\p{L}\p{N}\p{P}\p{S}])\p{Variation_Selector})`,
    String.raw`[[\p{Cf}\p{Default_Ignorable_Code_Point}]--[\u{0600}-\u{0605}\u{06DD}\u{070F}\u{0890}\u{0891}\u{08E2}\u{110BD}\u{110CD}]]`,
  ].join('|'),
  'gv',
);

/** Something a reader sees: a letter, digit, punctuation or symbol (the braille blank is none). */
const VISIBLE = /[[\p{L}\p{N}\p{P}\p{S}\p{Co}]--[\u2800]]/v;

/**
 * Text a person typed or a client sent, made safe to store and show: without control or
 * invisible characters, NFC-normalised (so the same name always compares equal), trimmed.
 */
export function cleanText(raw: string): string {
  return raw
    .replace(LINE_BREAKS, ' ')
    .replace(CONTROLS, '')
    .replace(INVISIBLE, (_match, kept: string | undefined) => kept ?? '')
    .normalize('NFC')
    .trim();
}

/**
 * A title as a client sent it, cleaned; undefined when nothing visible is left (then an upload
 * takes its filename's stem, and a rename is 400 EMPTY_TITLE). NUL (which Postgres text cannot
 * hold) and more than MAX_TITLE_LENGTH characters are 400s.
 */
export function cleanTitle(raw: string): string | undefined {
  if (raw.includes('\u0000')) throw new Errors.invalidTitle();
  const title = cleanText(raw);
  // Counted in characters (code points), as the schema's maxLength is, not UTF-16 units.
  if ([...title].length > MAX_TITLE_LENGTH) throw new Errors.titleTooLong(MAX_TITLE_LENGTH);
  return VISIBLE.test(title) ? title : undefined;
}

/**
 * The uploader's filename, kept as metadata: without any folder part (some clients send
 * `C:\music\a.mp3`), control or invisible characters, or surrounding spaces. A name too
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

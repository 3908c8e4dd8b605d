/**
 * Search over titles and filenames: case- and accent-insensitive, by word prefix ("pia" finds
 * "Piano sketch.wav"). Both sides are folded the same way here, in code, so the database needs
 * no extension (Postgres's `unaccent` is not in the embedded PGlite): a row keeps its folded
 * words in `search_text`, and a query becomes a prefix tsquery over them.
 */

/** Letters that do not decompose into a base letter and a mark. */
const FOLDED: Record<string, string> = {
  ł: 'l',
  ø: 'o',
  đ: 'd',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ı: 'i',
};

/** Lower case, without accents, words separated by single spaces. */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[łøđßæœı]/g, (letter) => FOLDED[letter] ?? letter)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** What `search_text` holds for a sound. */
export function searchTextOf(sound: { title: string; filename: string }): string {
  return foldForSearch(`${sound.title} ${sound.filename}`);
}

/** At most this many words of a query are used: more would only slow the query down. */
const MAX_QUERY_WORDS = 8;

/**
 * A `to_tsquery('simple', …)` text matching every word of `query` as a prefix, or undefined
 * when the query has no words. Folded words hold only letters and digits, so nothing in them
 * is tsquery syntax.
 */
export function prefixQuery(query: string): string | undefined {
  const words = foldForSearch(query).split(' ').filter(Boolean).slice(0, MAX_QUERY_WORDS);
  return words.length === 0 ? undefined : words.map((word) => `${word}:*`).join(' & ');
}

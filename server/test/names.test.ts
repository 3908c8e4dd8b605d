import { describe, expect, it } from 'vitest';
import { cleanFilename, cleanText, cleanTitle, defaultTitle } from '../src/sounds/names.ts';

describe('cleanFilename', () => {
  it.each([
    ['tone.wav', 'tone.wav'],
    ['C:\\music\\tone.wav', 'tone.wav'],
    ['../../etc/passwd', 'passwd'],
    ['  spaced.mp3  ', 'spaced.mp3'],
    ['say %22hi%22.mp3', 'say "hi".mp3'],
    ['line%0D%0Abreak.wav', 'linebreak.wav'],
    ['bell\u0007.wav', 'bell.wav'],
    ['', 'sound'],
    [undefined, 'sound'],
  ])('turns %j into %j', (raw, clean) => {
    expect(cleanFilename(raw)).toBe(clean);
  });

  it.each([
    ['bidi override', 'invoice\u202egpj.exe', 'invoicegpj.exe'],
    ['bidi isolate', '\u2067song\u2069.mp3', 'song.mp3'],
    ['C1 control', 'a\u0085b\u009b.wav', 'a b.wav'],
    ['escape', 'a\u001b[31mred.wav', 'a[31mred.wav'],
    ['NUL', 'a\u0000b.wav', 'ab.wav'],
    ['decomposed accent', 'Cafe\u0301.wav', 'Caf\u00e9.wav'],
  ])('removes a %s and normalises to NFC', (_what, raw, clean) => {
    expect(cleanFilename(raw)).toBe(clean);
  });

  it('shortens a long name to 255 characters in its stem, keeping the extension', () => {
    const name = cleanFilename(`${'a'.repeat(10_000)}🎵🎵.wav`);
    expect(Array.from(name)).toHaveLength(255);
    expect(name).toBe(`${'a'.repeat(251)}.wav`);
  });

  it('never cuts a character in half when shortening', () => {
    const name = cleanFilename(`${'🎵'.repeat(300)}.flac`);
    expect(name).toBe(`${'🎵'.repeat(250)}.flac`);
  });

  it('treats an overlong "extension" as part of the name', () => {
    const name = cleanFilename(`a.${'b'.repeat(400)}`);
    expect(Array.from(name)).toHaveLength(255);
    expect(name.startsWith('a.bbb')).toBe(true);
  });
});

describe('defaultTitle', () => {
  it('is the filename without its extension', () => {
    expect(defaultTitle('Morning birds.mp3')).toBe('Morning birds');
    expect(defaultTitle('.hidden')).toBe('.hidden');
  });

  it('keeps at most 200 characters without cutting one in half', () => {
    const title = defaultTitle(`${'🎵'.repeat(300)}.wav`);
    expect(Array.from(title)).toHaveLength(200);
    expect(title).toBe('🎵'.repeat(200));
  });
});

describe('cleanText', () => {
  it('turns line breaks and tabs into spaces and drops other controls', () => {
    expect(cleanText(' Line\r\nbreak\tand\u0007bell\u001b ')).toBe('Line  break andbell');
  });

  it('keeps letters, emoji and ordinary punctuation of every script', () => {
    expect(cleanText('Ночь — 夜 🎵 «live»')).toBe('Ночь — 夜 🎵 «live»');
  });
});

describe('invisible characters', () => {
  // Written as escapes: a test file full of invisible characters would hide what it tests.
  it.each([
    ['zero-width space', 'Mor\u200Bning', 'Morning'],
    ['zero-width no-break space (BOM)', '\uFEFFMorning', 'Morning'],
    ['word joiner and invisible operators', 'Mo\u2060r\u2061n\u2062i\u2063n\u2064g', 'Morning'],
    ['soft hyphen', 'Mor\u00ADning', 'Morning'],
    ['LRM and RLM', '\u200EMorning\u200F', 'Morning'],
    ['bidi embeddings and overrides', '\u202AMo\u202Brn\u202Ci\u202Dn\u202Eg', 'Morning'],
    [
      'bidi isolates and the Arabic letter mark',
      '\u2066Mo\u2067rn\u2068in\u2069g\u061C',
      'Morning',
    ],
    ['ZWNJ and ZWJ inside a Latin word', 'ad\u200Cmi\u200Dn', 'admin'],
    ['ZWJ inside a Cyrillic word', '\u0430\u200D\u0431', '\u0430\u0431'],
    ['the Mongolian vowel separator between Latin letters', 'a\u180Eb', 'ab'],
    ['Hangul fillers', '\u3164Morning\uFFA0', 'Morning'],
    ['the combining grapheme joiner', 'Mor\u034Fning', 'Morning'],
    ['a tag character outside a flag', 'Morning\u{E0041}\u{E0001}', 'Morning'],
    ['a variation selector after nothing visible', '\uFE0FMorning', 'Morning'],
    ['a ZWJ at either end of an emoji', '\u200D\u{1F469}\u200D', '\u{1F469}'],
    ['interlinear annotation controls', '\uFFF9Morning\uFFFB', 'Morning'],
  ])('removes %s', (_what, raw, clean) => {
    expect(cleanText(raw)).toBe(clean);
  });

  it.each([
    ['an emoji ZWJ sequence', '\u{1F469}\u200D\u{1F4BB}'],
    ['an emoji ZWJ sequence with a skin tone', '\u{1F469}\u{1F3FD}\u200D\u{1F4BB}'],
    ['the rainbow flag (variation selector, then ZWJ)', '\u{1F3F3}\uFE0F\u200D\u{1F308}'],
    ['an emoji variation selector', '\u2764\uFE0F'],
    [
      'the flag of England (a tag sequence)',
      '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}',
    ],
    ['ZWNJ inside a Persian word', '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645'],
    ['ZWJ in a Devanagari conjunct', '\u0915\u094D\u200D\u0937'],
    ['ZWJ in a Sinhala conjunct', '\u0DC1\u0DCA\u200D\u0DBB'],
    ['an ideographic variation selector', '\u845B\u{E0100}'],
    ['the Arabic number sign (a format character that is drawn)', '\u0600\u0661\u0662'],
  ])('keeps %s', (_what, text) => {
    expect(cleanText(text)).toBe(text);
  });

  it('cleans filenames the same way, keeping the extension', () => {
    expect(cleanFilename('\u200BMorning\uFEFF birds\u200D.wav')).toBe('Morning birds.wav');
    expect(cleanFilename('\u200B\u2060\uFEFF')).toBe('sound');
  });

  it.each([
    ['zero-width characters', '\u200B\u200C\u200D\uFEFF'],
    ['bidi controls and spaces', ' \u202E \u2066 '],
    ['Hangul fillers', '\u3164\u3164'],
    ['braille blanks', '\u2800\u2800'],
    ['a lone variation selector', '\uFE0F'],
  ])('leaves no title from %s alone', (_what, raw) => {
    expect(cleanTitle(raw)).toBeUndefined();
  });
});

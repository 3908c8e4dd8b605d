import { describe, expect, it } from 'vitest';
import { cleanFilename, cleanText, defaultTitle } from '../src/sounds/names.ts';

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

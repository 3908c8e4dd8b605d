import { describe, expect, it } from 'vitest';
import { cleanFilename, defaultTitle } from '../src/sounds/filename.ts';

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

  it('keeps at most 255 characters without cutting one in half', () => {
    const name = cleanFilename(`${'a'.repeat(254)}🎵🎵.wav`);
    expect(Array.from(name)).toHaveLength(255);
    expect(name.endsWith('🎵')).toBe(true);
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

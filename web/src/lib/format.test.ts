import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatDurationInWords } from './format.ts';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_000, '1.0 kB'],
    [48_044, '48 kB'],
    [1_530_000, '1.5 MB'],
    [104_857_600, '105 MB'],
    [3_200_000_000, '3.2 GB'],
  ])('%i bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [499, '0:00'],
    [7_000, '0:07'],
    [125_000, '2:05'],
    [3_723_000, '1:02:03'],
  ])('%i ms is %s', (milliseconds, text) => {
    expect(formatDuration(milliseconds)).toBe(text);
  });
});

describe('formatDurationInWords', () => {
  it.each([
    [10_800_000, '3 hours'],
    [3_600_000, '1 hour'],
    [5_400_000, '1 hour 30 minutes'],
    [60_000, '1 minute'],
    [3_723_000, '1 hour 2 minutes 3 seconds'],
    [45_000, '45 seconds'],
    [0, '0 seconds'],
  ])('%i ms is %s', (milliseconds, text) => {
    expect(formatDurationInWords(milliseconds)).toBe(text);
  });
});

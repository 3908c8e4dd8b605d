import { expect, it } from 'vitest';
import { backoffMs } from '../src/processing/process-sound.ts';

it('doubles the wait between attempts, up to 32 times the first', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 20, 100].map((attempts) => backoffMs(10_000, attempts))).toEqual([
    10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 320_000, 320_000, 320_000,
  ]);
});

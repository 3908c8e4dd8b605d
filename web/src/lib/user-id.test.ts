import { expect, it } from 'vitest';
import { MAX_USER_ID, parseUserId } from './user-id.ts';

it('accepts the ids the API accepts, written in plain decimal', () => {
  expect(parseUserId('7')).toBe(7);
  expect(parseUserId(' 42 ')).toBe(42);
  expect(parseUserId(String(MAX_USER_ID))).toBe(MAX_USER_ID);
});

it('refuses everything else', () => {
  for (const input of [
    '',
    '0',
    '-1',
    '1.5',
    '1e3',
    '007',
    '0x10',
    'abc',
    String(MAX_USER_ID + 1),
  ]) {
    expect(parseUserId(input), input).toBeNull();
  }
});

import { expect, it } from 'vitest';
import { parseUserId, userIdRule } from './user-id.ts';

const range = { minimum: 1, maximum: 2_147_483_647 };

it('accepts the ids the API accepts, written in plain decimal', () => {
  expect(parseUserId('7', range)).toBe(7);
  expect(parseUserId(' 42 ', range)).toBe(42);
  expect(parseUserId('2147483647', range)).toBe(2_147_483_647);
});

it('refuses everything else', () => {
  for (const input of ['', '0', '-1', '1.5', '1e3', '007', '0x10', 'abc', '2147483648']) {
    expect(parseUserId(input, range), input).toBeNull();
  }
});

it('takes the range from the API, and checks only the form before it is known', () => {
  expect(parseUserId('50', { minimum: 1, maximum: 10 })).toBeNull();
  expect(parseUserId('2147483648')).toBe(2_147_483_648);
  expect(parseUserId('1e3')).toBeNull();
  expect(userIdRule(range)).toBe('A user id is a whole number from 1 to 2,147,483,647.');
});

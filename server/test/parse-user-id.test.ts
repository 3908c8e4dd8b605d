import { describe, expect, it } from 'vitest';
import { parseUserId } from '../src/plugins/auth.ts';

describe('parseUserId', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    ['2147483647', 2_147_483_647],
  ])('reads %j as %i', (value, id) => {
    expect(parseUserId(value)).toBe(id);
  });

  it.each([
    '',
    ' 1',
    '1 ',
    'abc',
    '1.5',
    '-1',
    '0',
    '01',
    '1e3',
    '2147483648',
    '99999999999',
    '12345678901234567890',
    '1, 2',
  ])('rejects %j', (value) => {
    expect(parseUserId(value)).toBeUndefined();
  });

  it('rejects a header sent twice and a missing one', () => {
    expect(parseUserId(['1', '2'])).toBeUndefined();
    expect(parseUserId(undefined)).toBeUndefined();
  });
});

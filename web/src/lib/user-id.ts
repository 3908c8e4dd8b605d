import type { Limits } from './api/get-limits.ts';

export type UserIdRange = Limits['userId'];

/** "A user id is a whole number from 1 to 2,147,483,647." with the API's own range. */
export function userIdRule(range: UserIdRange | undefined): string {
  if (!range) return 'A user id is a whole number.';
  const format = (value: number) => value.toLocaleString('en-US');
  return `A user id is a whole number from ${format(range.minimum)} to ${format(range.maximum)}.`;
}

/**
 * The user id typed into a form, or null when it is not one the API would accept: plain
 * decimal, within `range` (the API's `GET /limits`; before it has arrived only the form is
 * checked and the API judges the rest).
 */
export function parseUserId(input: string, range?: UserIdRange): number | null {
  const text = input.trim();
  if (!/^[1-9][0-9]*$/.test(text)) return null;
  const id = Number(text);
  if (!Number.isSafeInteger(id)) return null;
  if (range && (id < range.minimum || id > range.maximum)) return null;
  return id;
}

/** The largest user id the API accepts (a Postgres integer). */
export const MAX_USER_ID = 2_147_483_647;

export const USER_ID_RULE = `A user id is a whole number from 1 to ${MAX_USER_ID.toLocaleString('en-US')}.`;

/** The user id typed into a form, or null when it is not one the API would accept. */
export function parseUserId(input: string): number | null {
  const text = input.trim();
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const id = Number(text);
  return id <= MAX_USER_ID ? id : null;
}

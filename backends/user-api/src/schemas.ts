import { type Static, Type } from 'typebox';

/** Ids are positive 32-bit integers, so they fit an INTEGER column wherever they travel. */
export const MAX_USER_ID = 2_147_483_647;

const UserId = Type.Integer({ minimum: 1, maximum: MAX_USER_ID });

export const User = Type.Object({ id: UserId }, { additionalProperties: false });
export type User = Static<typeof User>;

export const NewUser = Type.Object({ id: UserId }, { additionalProperties: false });

// Path ids must be plain decimal: "05", "1e3" or "0x10" are not ids, though Number() would
// accept them. The range is checked by parseUserId.
export const UserParams = Type.Object({
  user_id: Type.String({ pattern: '^[1-9][0-9]{0,9}$', description: 'user id, 1..2147483647' }),
});

export { ErrorShape as ErrorReply } from '@cloud-sound/service-kit/errors';

export const Health = Type.Object({ status: Type.Literal('ok') });

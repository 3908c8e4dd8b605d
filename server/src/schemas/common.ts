import { Type } from 'typebox';
import { USER_ID_RANGE } from '../contract.ts';

/** The one error shape of every 4xx and 5xx reply. */
export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: 'The HTTP reason phrase' }),
    message: Type.String({ description: 'What went wrong, for people' }),
    code: Type.String({ description: 'What went wrong, for programs: stable across releases' }),
  },
  { $id: 'Error', title: 'Error' },
);

export const UserId = Type.Integer({ ...USER_ID_RANGE, description: 'A numeric user id' });

/** The reply schemas for a set of error statuses, all the same shape. */
export function errorReplies<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Error')])) as {
    [K in S[number]]: ReturnType<typeof Type.Ref<'Error'>>;
  };
}

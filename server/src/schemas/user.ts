import { Type } from 'typebox';
import { UserId } from './common.ts';

export const NewUser = Type.Object(
  { id: UserId },
  { additionalProperties: false, $id: 'NewUser', title: 'NewUser', examples: [{ id: 4242 }] },
);
export const User = Type.Object(
  { id: UserId },
  { $id: 'User', title: 'User', examples: [{ id: 4242 }] },
);

/** The logged-in user, with what they hold against their quota. */
export const Me = Type.Object(
  {
    id: UserId,
    storage: Type.Object({
      usedBytes: Type.Integer({
        description: 'Bytes your sounds take: originals, renditions and waveforms',
      }),
      limitBytes: Type.Integer({ description: 'Your storage quota' }),
    }),
    pendingSounds: Type.Object({
      count: Type.Integer({ description: 'Your sounds waiting to be processed' }),
      limit: Type.Integer({ description: 'How many may wait at once; more uploads wait (429)' }),
    }),
  },
  {
    $id: 'Me',
    title: 'Me',
    examples: [
      {
        id: 4242,
        storage: { usedBytes: 5292044, limitBytes: 2147483648 },
        pendingSounds: { count: 0, limit: 100 },
      },
    ],
  },
);

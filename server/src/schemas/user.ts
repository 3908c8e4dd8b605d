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

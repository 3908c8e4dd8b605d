import { ErrorShape } from '@cloud-sound/service-kit/errors';
import { Type } from 'typebox';
import { USER_ID_RANGE } from '../contract.ts';

/** The one error shape of every 4xx and 5xx reply. */
export const ErrorReply = Type.Object(ErrorShape.properties, {
  $id: 'ApiError',
  title: 'ApiError',
  examples: [
    {
      statusCode: 404,
      error: 'Not Found',
      message: 'No sound has id 0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10',
      code: 'SOUND_NOT_FOUND',
    },
  ],
});

export const UserId = Type.Integer({ ...USER_ID_RANGE, description: 'A numeric user id' });

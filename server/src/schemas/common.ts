import { ErrorShape } from '@cloud-sound/service-kit/errors';
import { type Static, type TSchema, Type } from 'typebox';
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

/*
 * Nullable values and string enums as JSON Schema's `type` arrays and `enum`, not `anyOf`: the
 * response serialiser (fast-json-stringify) writes these directly, while for an `anyOf` it runs
 * a validator on every value to choose the branch (a `format: uri` check per URL of every
 * listed sound, a tenth of a listing's CPU). The document and clients see the same types.
 */

/** `schema`, or null. */
export function Nullable<T extends TSchema & { type: string }>(
  schema: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<Static<T> | null>({ ...schema, ...options, type: [schema.type, 'null'] });
}

/** One of `values`. */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  options: { description?: string } = {},
) {
  return Type.Unsafe<V[number]>({ ...options, type: 'string', enum: [...values] });
}

import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { SHARED_SCHEMAS } from '../schemas/shared.ts';

// Query strings and path params arrive as text, so they are coerced to their schema's types
// ("20" → 20) — but only exactly ("1.5" is not an integer).
const coercingAjv = new Ajv({
  coerceTypes: 'array',
  useDefaults: true,
  removeAdditional: true,
  allErrors: false,
});
addFormats.default(coercingAjv);

/**
 * Integers as people write them: optional minus, no leading zeros, no exponent, sign, hex or
 * spaces. Ajv's coercion is `Number(text)`, which also takes `1e9999`, `Infinity` and `0x10`
 * (and lets Infinity past `maximum`).
 */
const PLAIN_INTEGER = /^-?(0|[1-9][0-9]{0,15})$/;

interface ObjectSchema {
  properties?: Record<string, { type?: string }>;
}

/** The properties of a query or params schema that are integers. */
function integerProperties(schema: ObjectSchema): string[] {
  return Object.entries(schema.properties ?? {})
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

function notPlainInteger(name: string): Error {
  return new Error(`${name} must be an integer written in plain decimal digits`);
}

/** Ajv's coercion, behind a check that every integer arrives written as one. */
function compileCoercing(schema: TSchema) {
  const validate = coercingAjv.compile(schema);
  const integers = integerProperties(schema as ObjectSchema);
  return (data: Record<string, unknown> | null) => {
    for (const name of integers) {
      const raw = data?.[name];
      for (const text of Array.isArray(raw) ? raw : [raw]) {
        if (typeof text === 'string' && !PLAIN_INTEGER.test(text)) {
          return { error: notPlainInteger(name) };
        }
      }
    }
    // Ajv's own errors are worded by Fastify, as for any other schema.
    return validate(data) ? { value: data } : { error: validate.errors ?? [] };
  };
}

/** The shared schemas by `$id`, so that a body schema may be `Type.Ref('NewUser')`. */
const references = Object.fromEntries(
  SHARED_SCHEMAS.map((schema) => [String((schema as { $id?: string }).$id), schema]),
) as Record<string, TSchema>;

/** A JSON body, checked strictly by TypeBox: no coercion (`{"id": "5"}` is not a number). */
function compileBody(schema: TSchema) {
  const check = Compile(references, schema);
  return (value: unknown) =>
    check.Check(value) ? { value } : { error: [...check.Errors(value)] as never };
}

/** JSON bodies are checked strictly by TypeBox; everything else is coerced from text by Ajv. */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) =>
  route.httpPart === 'body' ? compileBody(route.schema) : compileCoercing(route.schema);

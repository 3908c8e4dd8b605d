import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';

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
 * JSON bodies are checked strictly by TypeBox (`{"id": "5"}` is not a number); everything
 * else is coerced from text by Ajv.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) =>
  route.httpPart === 'body' ? TypeBoxValidatorCompiler(route) : coercingAjv.compile(route.schema);

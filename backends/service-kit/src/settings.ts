import { envSchema } from 'env-schema';
import { type Static, type TObject, Type } from 'typebox';

/** The log levels every program takes (pino's). */
export const LogLevel = Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  default: 'info',
});

/** A TCP port, with the program's own default. */
export const Port = (fallback: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback });

/**
 * Reads a program's settings from the environment once, by its schema (defaults filled in);
 * a wrong value throws with the program's and the variable's name.
 */
export function loadSettings<S extends TObject>(
  program: string,
  schema: S,
  env: Record<string, string | undefined>,
): Static<S> {
  try {
    return envSchema<Static<S>>({ schema, data: env, env: false, dotenv: false });
  } catch (error) {
    throw new Error(`${program}: invalid settings: ${(error as Error).message}`);
  }
}

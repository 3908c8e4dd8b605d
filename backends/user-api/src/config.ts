import { fileURLToPath } from 'node:url';
import { envSchema } from 'env-schema';
import { type Static, Type } from 'typebox';

const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }),
  HOST: Type.String({ minLength: 1, default: 'localhost' }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: fileURLToPath(new URL('../../../data/user-api', import.meta.url)),
  }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
});

export type Config = Static<typeof ConfigSchema>;

/** The settings as the environment gives them: any of the variables above, as text. */
export type Settings = { [Name in keyof Config]?: string };

/** Reads and validates the settings once; a wrong value throws with the variable's name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  try {
    return envSchema<Config>({ schema: ConfigSchema, data: env, env: false, dotenv: false });
  } catch (error) {
    throw new Error(`user_api: invalid settings: ${(error as Error).message}`);
  }
}

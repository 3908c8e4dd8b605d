import { fileURLToPath } from 'node:url';
import { LogLevel, loadSettings, Port } from '@cloud-sound/service-kit/settings';
import { type Static, Type } from 'typebox';

const ConfigSchema = Type.Object({
  PORT: Port(8090),
  HOST: Type.String({ minLength: 1, default: 'localhost' }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: fileURLToPath(new URL('../../../data/user-api', import.meta.url)),
  }),
  LOG_LEVEL: LogLevel,
});

export type Config = Static<typeof ConfigSchema>;

/** The settings as the environment gives them: any of the variables above, as text. */
export type Settings = { [Name in keyof Config]?: string };

/** Reads and validates the settings once; a wrong value throws with the variable's name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadSettings('user_api', ConfigSchema, env);
}

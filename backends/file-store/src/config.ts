import { fileURLToPath } from 'node:url';
import { LogLevel, loadSettings, Port } from '@cloud-sound/service-kit/settings';
import { type Static, Type } from 'typebox';

const GiB = 1024 ** 3;

const ConfigSchema = Type.Object({
  PORT: Port(8081),
  HOST: Type.String({ minLength: 1, default: 'localhost' }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: fileURLToPath(new URL('../../../data/file-store', import.meta.url)),
  }),
  LOG_LEVEL: LogLevel,
  // The store keeps whatever the API sends; this only stops a runaway upload from filling
  // the disk. The API enforces the real, user-facing limit.
  MAX_FILE_BYTES: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 10 * GiB }),
});

export type Config = Static<typeof ConfigSchema>;

/** The settings as the environment gives them: any of the variables above, as text. */
export type Settings = { [Name in keyof Config]?: string };

/** Reads and validates the settings once; a wrong value throws with the variable's name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadSettings('file_store', ConfigSchema, env);
}

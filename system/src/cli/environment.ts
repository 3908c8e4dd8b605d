// The settings of `pnpm start` and `pnpm dev`, from the environment. One rule for every
// program: `<PROGRAM>__<SETTING>` sets that program's own setting, by the name the program
// gives it (API__PORT=9000, FILE_STORE__PORT=8082, WEB__PORT=3000, API__LOG_LEVEL=debug).
// Shortcuts: LOG_LEVEL for every program that has one, DATABASE_URL and REDIS_URL for the API.
// The names and values are checked by each program's own settings parser when the system
// starts. API_REPLICAS=N runs N API processes behind nginx (on Postgres), as compose's --scale
// does; with REDIS_URL they count their limits together.
import { resolve } from 'node:path';
import { DEFAULT_DATA_DIR } from '../paths.ts';
import { isProgramName, PROGRAM_NAMES, type SettingsByProgram } from '../programs.ts';
import { knownSettings, SettingsError } from '../settings.ts';

export interface LaunchSettings {
  /** CLOUD_SOUND_DATA_DIR, else `<repo>/data`. */
  dataDir: string;
  settings: SettingsByProgram;
  /** API_REPLICAS, else 1. */
  apiReplicas: number;
}

/** What the launcher read before this rule, and what to write now. */
const RENAMED: Record<string, string> = {
  API_PORT: 'API__PORT',
  FILE_STORE_PORT: 'FILE_STORE__PORT',
  USER_API_PORT: 'USER_API__PORT',
  WEB_PORT: 'WEB__PORT',
};

export function readLaunchSettings(env: NodeJS.ProcessEnv = process.env): LaunchSettings {
  const settings: Record<string, Record<string, string>> = {};
  for (const [variable, raw] of Object.entries(env)) {
    const value = raw?.trim();
    if (!value) continue;
    const renamed = RENAMED[variable];
    if (renamed) {
      throw new SettingsError(
        `${variable} is not read any more: use ${renamed} (a program's setting is <PROGRAM>__<SETTING>)`,
      );
    }
    const split = variable.indexOf('__');
    if (split <= 0) continue;
    const program = variable.slice(0, split).toLowerCase();
    if (!isProgramName(program) || variable.slice(0, split) !== program.toUpperCase()) continue;
    settings[program] ??= {};
    settings[program][variable.slice(split + 2)] = value;
  }

  const logLevel = env.LOG_LEVEL?.trim();
  if (logLevel) {
    for (const program of PROGRAM_NAMES) {
      if (!knownSettings(program).has('LOG_LEVEL')) continue;
      settings[program] ??= {};
      settings[program].LOG_LEVEL ??= logLevel;
    }
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL']) {
    const value = env[name]?.trim();
    if (!value) continue;
    settings.api ??= {};
    settings.api[name] ??= value;
  }

  const replicas = env.API_REPLICAS?.trim() || '1';
  if (!/^\d{1,3}$/.test(replicas)) {
    throw new SettingsError(`API_REPLICAS is "${replicas}"; it must be a whole number`);
  }

  return {
    dataDir: resolve(env.CLOUD_SOUND_DATA_DIR?.trim() || DEFAULT_DATA_DIR),
    settings: settings as SettingsByProgram,
    apiReplicas: Number(replicas),
  };
}

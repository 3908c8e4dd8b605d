// A program's settings as the launcher hands them over: what the launcher must set (wiring),
// then the caller's, each checked by the program's own settings parser before anything starts,
// so that a misspelt name or a wrong value stops the start with a message naming it.
import { PROGRAMS, type ProgramName, type ProgramSettings } from './programs.ts';

/** A setting a program does not know, or a value it refuses; the message names the setting. */
export class SettingsError extends Error {}

/** How a message names a setting the caller gave. */
export type SettingName = (program: ProgramName, setting: string) => string;

/** `settings.api.PORT`: how startSystem's callers give settings. */
export const optionName: SettingName = (program, setting) => `settings.${program}.${setting}`;

/** `API__PORT`: how `pnpm start` and `pnpm dev` take settings from the environment. */
export const variableName: SettingName = (program, setting) =>
  `${program.toUpperCase()}__${setting}`;

/** The entries that are set (an undefined value means "not set": the program's default). */
export function setEntries(settings: object | undefined): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings ?? {})) {
    if (value !== undefined) entries[key] = String(value);
  }
  return entries;
}

/** Every setting the program knows, by its own parser (those with no default included once set). */
export function knownSettings(program: ProgramName, settings: object = {}): Set<string> {
  return new Set(Object.keys(parse(program, settings)));
}

/**
 * Checks what `program` will be given, `all` (the launcher's settings and the caller's), with the
 * program's own parser, and that it knows every setting the caller gave (`given`).
 */
export function checkSettings<P extends ProgramName>(
  program: P,
  given: ProgramSettings[P] | undefined,
  all: ProgramSettings[P],
  name: SettingName,
): void {
  const label = PROGRAMS[program].label;
  const givenNames = Object.keys(setEntries(given));
  let known: Set<string>;
  try {
    known = new Set(Object.keys(parse(program, setEntries(all))));
  } catch (error) {
    // Parsers name the setting `PORT` or `env/PORT`; say it as the caller wrote it.
    const message = (error as Error).message.replace(
      /\b(?:env\/)?([A-Z][A-Z0-9_]*)\b/g,
      (whole, setting: string) => (givenNames.includes(setting) ? name(program, setting) : whole),
    );
    throw new SettingsError(`invalid setting for ${label}: ${message}`);
  }
  for (const setting of givenNames) {
    if (!known.has(setting)) {
      throw new SettingsError(
        `${name(program, setting)}: ${label} has no setting ${setting} (it has ${[...known].join(', ')})`,
      );
    }
  }
}

/** The port a program listens on by default: its own parser's default PORT. */
export function defaultPort(program: ProgramName): number {
  return Number(parse(program, {}).PORT);
}

/** A port number as a setting gives it, or a SettingsError naming the setting. */
export function portNumber(value: string, setting: string): number {
  const port = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || port < 1 || port > 65535) {
    throw new SettingsError(`${setting} is "${value}"; it must be a port number from 1 to 65535`);
  }
  return port;
}

function parse(program: ProgramName, settings: object): Record<string, unknown> {
  return (PROGRAMS[program].parseSettings as (settings: object) => Record<string, unknown>)(
    settings,
  );
}

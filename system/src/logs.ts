// How the programs' logs are shown. Each program writes pino's JSON lines. On a terminal they
// are made readable with pino-pretty, one line each, prefixed with the program's name; anywhere
// else (a file, CI, a pipe to a log tool) each JSON line passes through as JSON, with the
// program's name added as a `program` field. Lines that are not JSON (a crash's stack trace,
// Vite's messages) get the name as a prefix. Tests capture the output instead of showing it.
import { prettyFactory } from 'pino-pretty';
import { prefix } from './messages.ts';

/**
 * Where the programs' log lines go: `pretty` and `json` as above (to stdout), `none` (kept in
 * memory only, see Program.output()), or a function that takes every line with its program.
 */
export type LogMode = 'pretty' | 'json' | 'none' | LineSink;

export type LineSink = (program: string, line: string) => void;

/** A LineSink for `mode`, writing to `write` (stdout by default); undefined for `none`. */
export function logSink(
  mode: LogMode,
  write: (text: string) => void = (text) => process.stdout.write(text),
): LineSink | undefined {
  if (typeof mode === 'function') return mode;
  if (mode === 'none') return undefined;
  if (mode === 'json') return (program, line) => write(`${withProgram(program, line)}\n`);
  const pretty = prettyFactory({
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return (program, line) => {
    const text = isJsonObject(line) ? pretty(line).replace(/\n$/, '') : line;
    write(`${text.replace(/^/gm, prefix(program))}\n`);
  };
}

/** `{"level":30,…}` → `{"program":"api","level":30,…}`; other lines get the name as a prefix. */
function withProgram(program: string, line: string): string {
  if (!isJsonObject(line)) return prefix(program) + line;
  const rest = line.slice(1).trimStart();
  return `{"program":${JSON.stringify(program)}${rest.startsWith('}') ? '' : ','}${rest}`;
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

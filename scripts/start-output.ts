// Every line a child program writes goes to our stdout prefixed with the program's name, so the
// four interleaved logs stay readable (pino's JSON lines pass through unchanged).
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

const PREFIX_WIDTH = 10;

export type LineSink = (line: string) => void;

export function prefixLines(stream: Readable, name: string, sink: LineSink): void {
  const prefix = `${name.padEnd(PREFIX_WIDTH)} | `;
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
    sink(prefix + line),
  );
}

/** The start script's own messages, set apart from the programs' logs; one write per call. */
export function say(text: string): void {
  const prefix = `${'start'.padEnd(PREFIX_WIDTH)} | `;
  process.stdout.write(
    `${text
      .split('\n')
      .map((line) => prefix + line)
      .join('\n')}\n`,
  );
}

// What one run of a program wrote (stdout and stderr, line by line, in arrival order): kept for
// `output()` and failure messages, and watched for the log line a test waits for.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Past this much text, the oldest lines are dropped (a run at `LOG_LEVEL=debug` for hours). */
const MAX_KEPT_CHARS = 32 * 1024 * 1024;

export type LineMatch = RegExp | ((line: Record<string, unknown>) => boolean);

export class CapturedOutput {
  private lines: string[] = [];
  private chars = 0;
  private readonly listeners = new Set<(line: string) => void>();
  private readonly endListeners = new Set<() => void>();
  private ended = false;
  /** text(), until the next line arrives. */
  private joined: string | undefined;

  /** Reads `streams` line by line; `onLine` sees each line as it comes (to show it). */
  constructor(streams: Array<Readable | null | undefined>, onLine: (line: string) => void) {
    let open = 0;
    for (const stream of streams) {
      if (!stream) continue;
      open += 1;
      const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      reader.on('line', (line) => {
        this.add(line);
        onLine(line);
      });
      reader.once('close', () => {
        open -= 1;
        if (open === 0) this.end();
      });
    }
    if (open === 0) this.end();
  }

  /** Everything kept so far, one line per line. */
  text(): string {
    this.joined ??= this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
    return this.joined;
  }

  /** The last `chars` characters, for an error message. */
  tail(chars = 4000): string {
    return this.text().slice(-chars);
  }

  /**
   * Resolves with the first line, seen so far or to come, that `match` accepts: a RegExp tests
   * the raw line, a function gets each JSON log line parsed. Rejects when the output ends (the
   * program exited) or `timeoutMs` passes first.
   */
  waitFor(match: LineMatch, timeoutMs: number, what: string): Promise<string> {
    const accepts = (line: string) => {
      if (match instanceof RegExp) return match.test(line);
      if (!line.startsWith('{')) return false;
      try {
        return match(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return false;
      }
    };
    const found = this.lines.find(accepts);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, line?: string) => {
        clearTimeout(timer);
        this.listeners.delete(onLine);
        this.endListeners.delete(onEnd);
        if (error) reject(error);
        else resolve(line as string);
      };
      const onLine = (line: string) => {
        if (accepts(line)) finish(undefined, line);
      };
      const onEnd = () =>
        finish(
          new Error(`${what} exited before such a line; its output ends with:\n${this.tail()}`),
        );
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `${what} wrote no such line within ${timeoutMs} ms; its output ends with:\n${this.tail()}`,
            ),
          ),
        timeoutMs,
      );
      this.listeners.add(onLine);
      this.endListeners.add(onEnd);
      if (this.ended) onEnd();
    });
  }

  private add(line: string): void {
    this.lines.push(line);
    this.joined = undefined;
    this.chars += line.length + 1;
    while (this.chars > MAX_KEPT_CHARS && this.lines.length > 1) {
      this.chars -= (this.lines.shift() as string).length + 1;
    }
    for (const listener of this.listeners) listener(line);
  }

  private end(): void {
    this.ended = true;
    for (const listener of this.endListeners) listener();
  }
}

// Child processes the suite starts and always stops: `node <entry>` run directly (no pnpm or
// shell in between that could swallow a signal), with the output kept for the failure report.
import { type ChildProcess, spawn } from 'node:child_process';

export interface Program {
  name: string;
  /** Everything it printed so far (the last 2 MB at most). */
  output(): string;
  hasExited(): boolean;
  /** Resolves with the exit code (null when a signal ended it) once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
// Should the runner itself exit without its teardown (an uncaught error), take the children along.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function startProgram(options: {
  name: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
}): Program {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    // Unset entries stay unset (a child would otherwise see the string "undefined").
    env: Object.fromEntries(
      Object.entries(options.env).filter((entry): entry is [string, string] => !!entry[1]),
    ),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const gone = new Promise<number | null>((resolve) => {
    const done = (code: number | null) => {
      exited = true;
      running.delete(child);
      resolve(code);
    };
    child.once('exit', (code) => done(code));
    child.once('error', (error) => {
      keep(Buffer.from(`could not start: ${error.message}\n`));
      done(null);
    });
  });

  return {
    name: options.name,
    output: () => output,
    hasExited: () => exited,
    exited: gone,
    async stop(graceMs = 5_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx; throws if `program` exits first or time runs out. */
export async function waitUntilAnswering(
  url: string,
  program: Program,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (program.hasExited()) throw new StartError(program, 'exited before it answered');
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new StartError(program, `did not answer ${url} within ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export class StartError extends Error {
  constructor(program: Program, what: string) {
    super(`${program.name} ${what}. Its output ends with:\n${program.output().slice(-4_000)}`);
    this.name = 'StartError';
  }
}

/** Runs a program to its end (a build); throws with its output unless it exits with 0. */
export async function runToEnd(options: Parameters<typeof startProgram>[0]): Promise<void> {
  const program = startProgram(options);
  const code = await program.exited;
  if (code !== 0) {
    throw new Error(`${program.name} failed (exit ${code}):\n${program.output().slice(-4_000)}`);
  }
}

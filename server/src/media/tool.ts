import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Readable } from 'node:stream';

/**
 * ffmpeg and ffprobe as budgeted child processes: their wall time is ours to end (SIGKILL past
 * `timeoutMs`), and through `prlimit` (util-linux) the kernel bounds their CPU time and address
 * space, so a file built to decode for hours or to allocate without end costs its own budget
 * and nothing else. Without `prlimit` only the wall time applies. They run at the lowest CPU
 * priority: they take what the API's requests (and the databases beside them) leave.
 */
export interface ToolBudget {
  timeoutMs: number;
  cpuSeconds: number;
  memoryMb: number;
}

export interface MediaTool {
  /**
   * Whether the binary runs at all. Once it did, the answer is kept for a while; while it does
   * not, every call looks again, so work resumes as soon as the tool is back.
   */
  available(): Promise<boolean>;
  /** Starts the tool with `args`; see ToolRunOptions for what comes out. */
  run(args: string[], options?: ToolRunOptions): Promise<ToolRun>;
}

export interface ToolRunOptions {
  /** Extra outputs `pipe:3`, `pipe:4`…, each to be read to its end. */
  outputs?: number;
  /** Each line the tool writes to stderr (its log), as it comes. */
  onLogLine?: (line: string) => void;
  /** The most bytes of stdout kept (ffprobe's answer); past it the tool is stopped. */
  maxStdoutBytes?: number;
  /** The budget of this run, when it is not the tool's own. */
  budget?: ToolBudget;
}

export interface ToolRun {
  outputs: Readable[];
  /** Resolves once the tool has exited, however; never rejects. */
  finished: Promise<ToolExit>;
  /** Stops it now (the caller gave up). */
  kill(): void;
}

export interface ToolExit {
  ok: boolean;
  /** Why it did not end on its own with status 0; undefined when it did. */
  overrun?: 'time' | 'cpu' | 'memory' | 'output' | 'killed' | 'not-started';
  /** What it wrote to stdout (up to maxStdoutBytes). */
  stdout: string;
  /** The last lines of its log, for our own log (never for users: it names files and hosts). */
  logTail: string;
}

const AVAILABILITY_TTL_MS = 10_000;
/** The lowest priority (measured: bench/README.md, "Processing on two cores"). */
const NICENESS = 19;
const LOG_TAIL_BYTES = 4096;
/** Between the CPU limit's warning (SIGXCPU) and the kernel's SIGKILL. */
const CPU_GRACE_SECONDS = 5;

export function createMediaTool(path: string, budget: ToolBudget): MediaTool {
  let checked: { at: number; result: Promise<boolean> } | undefined;
  let prlimit: Promise<boolean> | undefined;

  return {
    async available() {
      if (checked && performance.now() - checked.at < AVAILABILITY_TTL_MS) return checked.result;
      const result = runsAtAll(path, ['-version']);
      checked = (await result) ? { at: performance.now(), result } : undefined;
      return result;
    },

    async run(args, options = {}) {
      const limits = options.budget ?? budget;
      const outputCount = options.outputs ?? 0;
      prlimit ??= runsAtAll('prlimit', ['--version']);
      const prlimitArgs = [
        `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + CPU_GRACE_SECONDS}`,
        `--as=${limits.memoryMb * 1024 * 1024}`,
        '--',
      ];
      const [command, ...commandArgs] = (await prlimit)
        ? ['prlimit', ...prlimitArgs, path, ...args]
        : [path, ...args];
      const child = spawn(command as string, commandArgs, {
        stdio: ['ignore', 'pipe', 'pipe', ...Array<'pipe'>(outputCount).fill('pipe')],
      });
      const outputs = Array.from({ length: outputCount }, (_, i) => child.stdio[3 + i] as Readable);
      lowerPriority(child.pid);

      let overrun: ToolExit['overrun'];
      const stop = (why: NonNullable<ToolExit['overrun']>) => {
        overrun ??= why;
        child.kill('SIGKILL');
      };
      const maxStdout = options.maxStdoutBytes ?? 0;
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        if (stdout.length + chunk.length > maxStdout) stop('output');
        else stdout += chunk.toString('utf8');
      });
      let logTail = '';
      let partialLine = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        logTail = (logTail + text).slice(-LOG_TAIL_BYTES);
        if (!options.onLogLine) return;
        const lines = (partialLine + text).split('\n');
        partialLine = lines.pop() ?? '';
        for (const line of lines) options.onLogLine(line);
      });
      const timer = setTimeout(() => stop('time'), limits.timeoutMs);
      const finished = new Promise<ToolExit>((resolve) => {
        child.once('error', (error) => {
          clearTimeout(timer);
          resolve({ ok: false, overrun: 'not-started', stdout, logTail: error.message });
        });
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          if (partialLine) options.onLogLine?.(partialLine);
          if (code === 0 && !overrun) {
            resolve({ ok: true, stdout, logTail });
            return;
          }
          resolve({
            ok: false,
            overrun: overrun ?? overrunOf(code, signal, logTail),
            stdout,
            logTail,
          });
        });
      });
      return { outputs, finished, kill: () => stop('killed') };
    },
  };
}

/**
 * What ended a tool that we did not stop ourselves: at its CPU limit the kernel sends SIGXCPU,
 * which ffmpeg catches and exits with 255 (its exit for any signal; we sent none), or SIGKILL
 * should it not stop; at its address-space limit an allocation fails.
 */
function overrunOf(
  code: number | null,
  signal: NodeJS.Signals | null,
  log: string,
): ToolExit['overrun'] {
  if (signal === 'SIGXCPU' || signal === 'SIGKILL' || code === 255) return 'cpu';
  if (/Cannot allocate memory|out of memory|failed to allocate|std::bad_alloc/i.test(log)) {
    return 'memory';
  }
  return undefined;
}

/** Whether `command args` starts and exits 0. */
function runsAtAll(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
}

/** Lowers the child's CPU priority (prlimit execs the tool in the same process, so it keeps it). */
function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, NICENESS);
  } catch {
    // Gone already (it failed to start): nothing to lower.
  }
}

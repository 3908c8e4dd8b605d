import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Readable } from 'node:stream';

/**
 * ffmpeg as a budgeted child process: its wall time is ours to end (SIGKILL past
 * `timeoutMs`), and through `prlimit` (util-linux) the kernel bounds its CPU time and its
 * address space, so a file built to decode for hours or to allocate without end costs its own
 * budget and nothing else. Without `prlimit` only the wall time applies.
 */
export interface FfmpegBudget {
  timeoutMs: number;
  cpuSeconds: number;
  memoryMb: number;
}

export interface Ffmpeg {
  /**
   * Whether the binary runs at all. Once it did, the answer is kept for a while; while it does
   * not, every call looks again, so processing resumes as soon as ffmpeg is back.
   */
  available(): Promise<boolean>;
  /**
   * Starts ffmpeg with `args`; its outputs `pipe:3`, `pipe:4`… come out as `outputs[0]`,
   * `outputs[1]`…, each to be read to its end.
   */
  run(args: string[], outputCount: number): Promise<FfmpegRun>;
}

export interface FfmpegRun {
  outputs: Readable[];
  /** Resolves once ffmpeg has exited, however; never rejects. */
  finished: Promise<FfmpegExit>;
  /** Stops it now (the job gave up). */
  kill(): void;
}

export interface FfmpegExit {
  ok: boolean;
  /** Why it failed, in words for the sound's owner; undefined when it did not. */
  failure?: string;
}

const AVAILABILITY_TTL_MS = 10_000;
/**
 * ffmpeg's nice value, the lowest priority: it takes the CPU the API's requests (and the
 * databases on the same machine) leave, so a backlog of jobs slows listings less (measured:
 * bench/README.md, "Processing on two cores").
 */
const FFMPEG_NICENESS = 19;
const STDERR_TAIL_BYTES = 4096;
/** Between the CPU limit's warning (SIGXCPU) and the kernel's SIGKILL. */
const CPU_GRACE_SECONDS = 5;

export function createFfmpeg(path: string, budget: FfmpegBudget): Ffmpeg {
  let checked: { at: number; result: Promise<boolean> } | undefined;
  let prlimit: Promise<boolean> | undefined;

  return {
    async available() {
      if (checked && performance.now() - checked.at < AVAILABILITY_TTL_MS) return checked.result;
      const result = runsAtAll(path, ['-version']);
      checked = (await result) ? { at: performance.now(), result } : undefined;
      return result;
    },

    async run(args, outputCount) {
      prlimit ??= runsAtAll('prlimit', ['--version']);
      const limits = [
        `--cpu=${budget.cpuSeconds}:${budget.cpuSeconds + CPU_GRACE_SECONDS}`,
        `--as=${budget.memoryMb * 1024 * 1024}`,
        '--',
      ];
      const [command, ...commandArgs] = (await prlimit)
        ? ['prlimit', ...limits, path, ...args]
        : [path, ...args];
      const child = spawn(command as string, commandArgs, {
        stdio: ['ignore', 'ignore', 'pipe', ...Array<'pipe'>(outputCount).fill('pipe')],
      });
      const outputs = Array.from({ length: outputCount }, (_, i) => child.stdio[3 + i] as Readable);
      lowerPriority(child.pid);

      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      });
      let stopped: 'timeout' | 'kill' | undefined;
      const timer = setTimeout(() => {
        stopped = 'timeout';
        child.kill('SIGKILL');
      }, budget.timeoutMs);
      const finished = new Promise<FfmpegExit>((resolve) => {
        child.once('error', (error) => {
          clearTimeout(timer);
          resolve({ ok: false, failure: `ffmpeg could not run (${error.message})` });
        });
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          if (code === 0) resolve({ ok: true });
          else
            resolve({ ok: false, failure: describeFailure(stopped, code, signal, stderr, budget) });
        });
      });
      return {
        outputs,
        finished,
        kill() {
          stopped ??= 'kill';
          child.kill('SIGKILL');
        },
      };
    },
  };
}

function describeFailure(
  stopped: 'timeout' | 'kill' | undefined,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  budget: FfmpegBudget,
): string {
  if (stopped === 'timeout') {
    return `processing took longer than its budget of ${Math.round(budget.timeoutMs / 1000)} s`;
  }
  if (stopped === 'kill') return 'processing was stopped';
  // At its CPU limit the kernel sends SIGXCPU, which ffmpeg catches and exits with 255 (its
  // exit for any signal; we sent none), or SIGKILL should it not stop.
  if (signal === 'SIGXCPU' || signal === 'SIGKILL' || code === 255) {
    return `processing needed more than its budget of ${budget.cpuSeconds} s of CPU time`;
  }
  if (/Cannot allocate memory|out of memory/i.test(stderr)) {
    return `processing needed more than its budget of ${budget.memoryMb} MB of memory`;
  }
  const firstError = stderr
    .split('\n')
    .map((line) => line.trim())
    .find(Boolean);
  return `the audio could not be decoded${firstError ? ` (${firstError.slice(0, 300)})` : ''}`;
}

/** Whether `command args` starts and exits 0. */
function runsAtAll(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
}

/** Lowers the child's CPU priority (prlimit execs ffmpeg in the same process, so it keeps it). */
function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, FFMPEG_NICENESS);
  } catch {
    // Gone already (it failed to start): nothing to lower.
  }
}

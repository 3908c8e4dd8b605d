// One program as a child process we can always stop: `node <entry>` run directly (no pnpm or
// shell wrapper that might swallow signals), in a process group of its own so that a terminal's
// Ctrl-C reaches only the start script, which then stops each program exactly once.
import { type ChildProcess, spawn } from 'node:child_process';
import { type LineSink, prefixLines } from './start-output.ts';

export interface ProgramSpec {
  name: string;
  /** Arguments to `node`: flags, the entry file, its arguments. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** GET this until it answers 2xx. */
  healthUrl: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProgram {
  spec: ProgramSpec;
  pid: number;
  process: ChildProcess;
  /** Resolves when the process has exited, however. */
  exited: Promise<ChildExit>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL to the whole group if it is still there after `graceMs`. */
  stop(graceMs: number): Promise<ChildExit>;
}

/** Process groups still running; signalled if this process exits without stopping them. */
const liveGroups = new Set<number>();

/**
 * The last resort against orphans: whatever way this process ends (a crash, process.exit in
 * the middle of a start-up), its programs' groups get SIGTERM as it goes; each program then
 * closes by itself (close-with-grace gives up after 10 s). A normal stop empties the set.
 */
process.on('exit', () => {
  for (const pid of liveGroups) signalGroup(pid, 'SIGTERM');
});

/** Also used by the benchmarks for the helpers they start (nginx, a timed start.ts). */
export function killGroupOnExit(pid: number | undefined): () => void {
  if (pid === undefined || pid <= 0) return () => {};
  liveGroups.add(pid);
  return () => liveGroups.delete(pid);
}

export function spawnProgram(spec: ProgramSpec, sink: LineSink): RunningProgram {
  const child = spawn(process.execPath, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const forget = killGroupOnExit(child.pid);
  if (child.stdout) prefixLines(child.stdout, spec.name, sink);
  if (child.stderr) prefixLines(child.stderr, spec.name, sink);

  let exitedAlready = false;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedAlready = true;
      // The program is gone; its group is not tracked any more (its pid may be reused).
      forget();
      resolve({ code, signal });
    });
    child.once('error', () => {
      exitedAlready = true;
      resolve({ code: null, signal: null });
    });
  });
  const pid = child.pid ?? -1;

  return {
    spec,
    pid,
    process: child,
    exited,
    hasExited: () => exitedAlready,
    async stop(graceMs) {
      if (!exitedAlready) signalGroup(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      const first = await Promise.race([exited, deadline]);
      clearTimeout(timer);
      if (first === 'late') signalGroup(pid, 'SIGKILL');
      const exit = await exited;
      // Anything the program itself started (none today) goes with its group.
      signalGroup(pid, 'SIGKILL');
      return exit;
    },
  };
}

/** Signals the child's process group (its pid, negated); a group that is gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

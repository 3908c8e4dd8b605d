// A program as a child process we can always stop: `node <args>` run directly (no pnpm or shell
// wrapper that might swallow signals), in a process group of its own, so that a terminal's
// Ctrl-C reaches only the launcher, which then stops each program exactly once, and so that
// whatever the program starts goes with it. Two guards against orphans:
// - when the launcher exits (a crash, process.exit in the middle of a start), every group it
//   still runs gets SIGTERM on the way out;
// - when the launcher dies without running any code (SIGKILL), each program notices that its
//   stdin, a pipe from the launcher, has ended, and stops its own group (orphan-guard.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupProcess {
  pid: number;
  process: ChildProcess;
  /** Resolves when the process has exited, however. */
  exited: Promise<ProgramExit>;
  hasExited(): boolean;
  /** Sends `signal` to the whole group (nothing if it is gone). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs: number): Promise<ProgramExit>;
}

/** Preloaded into every program: stops it when the launcher's end of stdin closes. */
const ORPHAN_GUARD = fileURLToPath(new URL('./orphan-guard.ts', import.meta.url));

/** Process groups still running; signalled if this process exits without stopping them. */
const liveGroups = new Set<number>();

process.on('exit', () => {
  for (const pid of liveGroups) signalGroup(pid, 'SIGTERM');
});

/**
 * Tracks a process group this process started some other way (the benchmark's nginx, a timed
 * `pnpm start`): it gets SIGTERM if this process exits first. Call the result once it is gone.
 */
export function killGroupOnExit(pid: number | undefined): () => void {
  if (pid === undefined || pid <= 0) return () => {};
  liveGroups.add(pid);
  return () => liveGroups.delete(pid);
}

export function spawnNodeGroup(options: {
  args: string[];
  cwd: string;
  env: Record<string, string>;
}): GroupProcess {
  const child = spawn(process.execPath, [`--import=${ORPHAN_GUARD}`, ...options.args], {
    cwd: options.cwd,
    env: { ...options.env, CLOUD_SOUND_ORPHAN_GUARD: '1' },
    // stdin stays open and unused: its end tells the program that the launcher is gone.
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid ?? -1;
  const forget = killGroupOnExit(child.pid);
  // A program that exits on its own closes the pipe; nothing to report.
  child.stdin?.on('error', () => {});

  let exitedAlready = false;
  const exited = new Promise<ProgramExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedAlready = true;
      // Anything the program started and left behind goes with its group…
      signalGroup(pid, 'SIGKILL');
      // …and the group is not tracked any more (its id may be reused).
      forget();
      resolve({ code, signal });
    });
    child.once('error', () => {
      exitedAlready = true;
      forget();
      resolve({ code: null, signal: null });
    });
  });

  return {
    pid,
    process: child,
    exited,
    hasExited: () => exitedAlready,
    signal(signal) {
      if (!exitedAlready) signalGroup(pid, signal);
    },
    async stop(graceMs) {
      if (!exitedAlready) signalGroup(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      const first = await Promise.race([exited, deadline]);
      clearTimeout(timer);
      if (first === 'late') signalGroup(pid, 'SIGKILL');
      return exited;
    },
  };
}

/** Signals a process group (its leader's pid, negated); a group that is gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

// The processes a program runs (the API's ffmpeg, spawned through `prlimit`, which execs it:
// a child, or a grandchild should anything wrap it), found in /proc, and a watcher that samples
// their peak resident set (VmHWM) while they run: it is lost the moment a process exits.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { processStats, statusMiB } from './proc.ts';

/**
 * Every process below `pid`. The kernel's per-thread `children` lists are cheap (one read per
 * thread, no scan); where the kernel lacks them, the parent ids of every process in /proc.
 */
export function descendants(pid: number): number[] {
  return HAS_CHILD_LISTS ? descendantsFromChildLists(pid) : descendantsFromParentIds(pid);
}

const HAS_CHILD_LISTS = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

function descendantsFromChildLists(root: number): number[] {
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    let threads: string[];
    try {
      threads = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // it has exited
    }
    for (const thread of threads) {
      let list: string;
      try {
        list = readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8');
      } catch {
        continue; // the thread has ended
      }
      for (const child of list.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function descendantsFromParentIds(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, fields } of processStats()) {
    const parent = Number(fields[1]);
    const siblings = children.get(parent) ?? [];
    siblings.push(pid);
    children.set(parent, siblings);
  }
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The command name and arguments of `pid`; undefined once it has exited. */
function commandOf(pid: number): { comm: string; args: string[] } | undefined {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { comm, args };
  } catch {
    return undefined;
  }
}

export interface PeakRss {
  /** The highest VmHWM of any matching process seen, MiB; NaN when none was seen. */
  peakMiB: number;
  /** Matching processes seen. */
  processes: number;
  /** The most matching processes seen running at once. */
  mostAtOnce: number;
  /** Matching processes running at the last sample. */
  running: number;
}

export interface PeakRssWatch {
  /** What has been seen so far. */
  current(): PeakRss;
  /** Takes a last sample, stops, and returns what was seen. */
  stop(): PeakRss;
}

/**
 * Samples, every `intervalMs`, the VmHWM of each process below `rootPid` that `matches` (its
 * command name and arguments; a process is asked again until it matches, since `prlimit`
 * becomes ffmpeg only once it has exec'd). A process that exits between two samples keeps the
 * peak of its last sample.
 */
export function watchPeakRss(
  rootPid: number,
  matches: (command: { comm: string; args: string[] }) => boolean,
  intervalMs = 20,
): PeakRssWatch {
  const peaks = new Map<number, number>();
  let mostAtOnce = 0;
  let running = 0;
  const sample = () => {
    running = 0;
    for (const pid of descendants(rootPid)) {
      if (!peaks.has(pid)) {
        const command = commandOf(pid);
        if (!command || !matches(command)) continue;
      }
      try {
        peaks.set(pid, Math.max(peaks.get(pid) ?? 0, statusMiB(pid, 'VmHWM')));
        running += 1;
      } catch {
        // exited between the listing and the read
      }
    }
    mostAtOnce = Math.max(mostAtOnce, running);
  };
  const result = (): PeakRss => ({
    peakMiB: peaks.size > 0 ? Math.max(...peaks.values()) : Number.NaN,
    processes: peaks.size,
    mostAtOnce,
    running,
  });
  const timer = setInterval(() => {
    try {
      sample();
    } catch {
      // /proc could not be read this time; the next sample tries again
    }
  }, intervalMs);
  return {
    current: result,
    stop() {
      clearInterval(timer);
      try {
        sample();
      } catch {}
      return result();
    },
  };
}

/** ffmpeg as the API's processing runs it (reading an input), not its `-version` check. */
export const isRenderingFfmpeg = (command: { comm: string; args: string[] }) =>
  command.comm === 'ffmpeg' && command.args.includes('-i');

import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * A program running as its own process, as the memory measurements see it (load.ts): its pid,
 * what it has logged, and its process, to signal.
 */
export interface MeasuredProcess {
  pid: number;
  output(): string;
  process: Pick<ChildProcess, 'kill'>;
}

/** The resident set size of a process, in bytes, from /proc (Linux). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

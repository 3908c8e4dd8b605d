// Starts the four programs and waits until each answers its health check; stops them all
// again if any part of that fails. Used by scripts/start.ts and by the benchmarks.
import { mkdir } from 'node:fs/promises';
import { type RunningProgram, spawnProgram } from './start-child.ts';
import { waitHealthy } from './start-health.ts';
import type { LineSink } from './start-output.ts';
import { busyPorts } from './start-ports.ts';
import { programSpecs, webBuildDir } from './start-programs.ts';
import { type ProgramName, publicUrl, REPO_DIR, type StartSettings } from './start-settings.ts';
import { ensureWebBuild } from './start-web-build.ts';

/** SIGTERM first; a program still running this long after gets SIGKILL (all within 5 s). */
export const STOP_GRACE_MS = 4000;

export interface SystemOptions {
  settings: StartSettings;
  /** Where the programs' prefixed log lines go. */
  sink: LineSink;
  say: (line: string) => void;
  /** Extra `node` flags per program, e.g. `--cpu-prof` for the API. */
  nodeArgs?: Partial<Record<ProgramName, string[]>>;
  healthTimeoutMs?: number;
  /** Aborting it (Ctrl-C during start-up) stops what has started and rejects. */
  signal?: AbortSignal;
}

export interface RunningSystem {
  programs: Record<ProgramName, RunningProgram>;
  urls: Record<ProgramName, string>;
  /** Resolves with the first program that exits by itself. */
  firstExit: Promise<{ program: RunningProgram; code: number | null; signal: string | null }>;
  stop(graceMs?: number): Promise<void>;
}

export class PortsBusyError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const { settings, sink, say } = options;
  const problems = await busyPorts(settings);
  if (problems.length > 0) throw new PortsBusyError(problems);
  await mkdir(settings.dataDir, { recursive: true });

  const specs = programSpecs(settings, options.nodeArgs);
  const started: RunningProgram[] = [];
  const stopAll = async (graceMs = STOP_GRACE_MS) => {
    await Promise.all(started.map((program) => program.stop(graceMs)));
  };
  const gaveUp = (program: RunningProgram | undefined, name: string) => () => {
    if (options.signal?.aborted) return 'start-up interrupted';
    if (program?.hasExited()) return `${name} exited before answering its health check`;
    return undefined;
  };
  const timeoutMs = options.healthTimeoutMs ?? 60_000;

  try {
    // The three Node services start at once; the web build (if needed) runs meanwhile.
    const healthy: Promise<void>[] = [];
    for (const name of ['user_api', 'file_store', 'api'] as const) {
      const program = spawnProgram(specs[name], sink);
      started.push(program);
      healthy.push(
        waitHealthy(specs[name].healthUrl, { timeoutMs, gaveUp: gaveUp(program, name) }),
      );
    }
    const web = (async () => {
      await ensureWebBuild({
        repoDir: REPO_DIR,
        outDir: webBuildDir(settings),
        apiUrl: publicUrl(settings, 'api'),
        say,
        sink,
      });
      if (options.signal?.aborted) throw new Error('start-up interrupted');
      const program = spawnProgram(specs.web, sink);
      started.push(program);
      await waitHealthy(specs.web.healthUrl, { timeoutMs, gaveUp: gaveUp(program, 'web') });
    })();
    // allSettled: every wait has to end (or fail) before we stop what started.
    const results = await Promise.allSettled([...healthy, web]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  } catch (error) {
    await stopAll();
    throw error;
  }

  const programs = Object.fromEntries(
    started.map((program) => [program.spec.name, program]),
  ) as Record<ProgramName, RunningProgram>;
  const urls = Object.fromEntries(
    (Object.keys(programs) as ProgramName[]).map((name) => [name, publicUrl(settings, name)]),
  ) as Record<ProgramName, string>;
  const firstExit = Promise.race(
    started.map((program) =>
      program.exited.then(({ code, signal }) => ({
        program,
        code,
        signal: signal as string | null,
      })),
    ),
  );
  return { programs, urls, firstExit, stop: stopAll };
}

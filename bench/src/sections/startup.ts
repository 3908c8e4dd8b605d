// 5. Start-up: `node system/src/cli/start.ts` as a user runs it (what `pnpm start` runs), timed
// from the spawn to its "all four healthy" lines, on an empty data folder (web build + new
// database) and again on the same one; then once more through `pnpm start` when pnpm is at hand.
// Each run is stopped with SIGINT.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePorts, killGroupOnExit, REPO_DIR } from '@cloud-sound/system';
import { registerCleanup } from '../cleanup.ts';
import { fixed } from '../table.ts';
import { type BenchContext, errorCell, type SectionReport } from './context.ts';

const READY_LINE = /Ctrl-C stops everything/;

interface StartTiming {
  healthyS: number;
  stopS: number;
}

export async function runStartupSection(
  context: Pick<BenchContext, 'plan' | 'database' | 'workDir' | 'systemDir'>,
): Promise<SectionReport> {
  // A smoke run restarts on the benchmark system's own (already built) data folder only: the
  // first start's web build and database creation would take most of its minute.
  const smoke = context.plan.smoke;
  const dataDir = smoke ? context.systemDir : join(context.workDir, 'startup-data');
  const databaseUrl = smoke ? context.database.url : await context.database.another();
  const [api, fileStore, userApi, web] = await freePorts(4);
  const ports = {
    API__PORT: String(api),
    FILE_STORE__PORT: String(fileStore),
    USER_API__PORT: String(userApi),
    WEB__PORT: String(web),
  };
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...ports,
    CLOUD_SOUND_DATA_DIR: dataDir,
    // Dependencies are installed (the benchmark runs from them); see README for the check's cost.
    CLOUD_SOUND_SKIP_INSTALL: '1',
    LOG_LEVEL: 'warn',
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;

  const node = process.execPath;
  const runs: [string, string, string[]][] = smoke
    ? [["start on the benchmark's data folder", node, ['system/src/cli/start.ts']]]
    : [
        [
          'first start: empty data folder (web build, new database)',
          node,
          ['system/src/cli/start.ts'],
        ],
        ['second start: same data folder', node, ['system/src/cli/start.ts']],
      ];
  const pnpm = process.env.npm_execpath;
  if (!smoke && pnpm && /pnpm/.test(pnpm)) {
    runs.push(['third start, as `pnpm start`', node, [pnpm, 'start']]);
  }

  const rows: (string | number)[][] = [];
  for (const [name, command, args] of runs) {
    try {
      const timing = await timeStart(command, args, env);
      rows.push([name, fixed(timing.healthyS, 1), fixed(timing.stopS, 2), 0]);
    } catch (error) {
      rows.push([name, errorCell(error), '', 1]);
    }
  }
  return {
    title: '5. Start-up (from the command to all four programs healthy)',
    header: ['run', 'to all four healthy s', 'stop on SIGINT s', 'errors'],
    rows,
    notes: [
      `Free ports, data folder under the benchmark's temp folder, ${databaseUrl ? 'a Postgres database of its own' : 'PGlite'}; timed from the spawn to the printed URLs; the dependency check skipped (CLOUD_SOUND_SKIP_INSTALL=1: dependencies are installed).`,
    ],
  };
}

/** Spawns the command in a process group of its own and signals the group, as a terminal does. */
async function timeStart(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<StartTiming> {
  const began = performance.now();
  const child = spawn(command, args, {
    cwd: REPO_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  // If the benchmark dies first, start.ts still gets SIGTERM and stops its programs itself.
  const untrack = killGroupOnExit(child.pid);
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      untrack();
      done(code);
    }),
  );
  const kill = async () => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const forget = registerCleanup(async () => {
    // start.ts stops its programs on SIGINT; SIGKILL only if it does not exit in time.
    process.kill(-(child.pid as number), 'SIGINT');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
    await kill();
  });
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not healthy after 120 s: ${output.slice(-500)}`)),
      120_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (READY_LINE.test(output)) {
        clearTimeout(timer);
        resolve(performance.now());
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before healthy: ${output.slice(-500)}`));
    });
  });
  try {
    const healthyAt = await ready;
    const stopBegan = performance.now();
    process.kill(-(child.pid as number), 'SIGINT');
    await exited;
    return { healthyS: (healthyAt - began) / 1000, stopS: (performance.now() - stopBegan) / 1000 };
  } finally {
    forget();
    await kill();
  }
}

// What `pnpm start` and `pnpm dev` share: read the settings, start every program, print their
// URLs once all are healthy, and stop them all on Ctrl-C or SIGTERM (or when one of them exits
// by itself). Loaded once the dependencies are known to be installed.
import { say } from '../messages.ts';
import { PROGRAM_NAMES, PROGRAMS, type ProgramName } from '../programs.ts';
import { SettingsError, variableName } from '../settings.ts';
import { PortsBusyError, type RunningSystem, STOP_GRACE_MS, startSystem } from '../system.ts';
import { type LaunchSettings, readLaunchSettings } from './environment.ts';

/** A wrapper such as pnpm passes a terminal's Ctrl-C on once more, within this time. */
const SAME_SIGNAL_MS = 1000;

const NUMBERS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

export async function runSystem(options: { dev: boolean }): Promise<void> {
  const interrupted = new AbortController();
  let system: RunningSystem | undefined;
  let stopping: Promise<never> | undefined;
  let firstSignalAt = 0;

  const shutdown = async (reason: string, exitCode: number): Promise<never> => {
    say(`${reason}: stopping all programs`);
    const began = performance.now();
    await system?.stop(STOP_GRACE_MS);
    say(`stopped in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    process.exit(exitCode);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt > 0 && performance.now() - firstSignalAt < SAME_SIGNAL_MS) return;
    if (stopping) {
      // A second Ctrl-C, a moment after the first: no more waiting.
      say(`${signal} again: killing everything now`);
      void system?.stop(0);
      return;
    }
    firstSignalAt = performance.now();
    interrupted.abort();
    if (!system) return; // still starting: startSystem sees the abort and cleans up
    stopping = shutdown(`${signal} received`, 0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  let launch: LaunchSettings;
  try {
    launch = readLaunchSettings();
    system = await startSystem({
      dataDir: launch.dataDir,
      ports: 'defaults',
      settings: launch.settings,
      apiReplicas: launch.apiReplicas,
      // nginx in front moves sounds' bytes (X-Accel-Redirect), as under compose; without it the
      // API streams them itself.
      gateway: options.dev ? false : 'if-installed',
      dev: options.dev,
      // Readable on a terminal (and always under `dev`); JSON lines for anything that reads them.
      logs: options.dev || process.stdout.isTTY ? 'pretty' : 'json',
      settingName: variableName,
      signal: interrupted.signal,
      // A program that dies is started again while the others keep serving; Ctrl-C stops all.
      supervise: { notice: say },
    });
  } catch (error) {
    if (error instanceof SettingsError) {
      say(`invalid setting: ${error.message}`);
      process.exit(2);
    }
    if (interrupted.signal.aborted) {
      say('interrupted during start-up; everything that had started is stopped');
      process.exit(0);
    }
    if (error instanceof PortsBusyError) {
      for (const problem of error.problems) say(`cannot start: ${problem}`);
    } else {
      say(`cannot start: ${(error as Error).message}`);
    }
    process.exit(1);
  }
  if (interrupted.signal.aborted) {
    // A signal arrived in the moment between the last health check and here.
    stopping = shutdown('interrupted', 0);
    return;
  }

  printReady(system, launch, options.dev);
  const { program, exit } = await system.firstExit;
  if (stopping) return;
  stopping = shutdown(
    `${program.name} exited by itself (${exit.signal ?? `exit code ${exit.code}`})`,
    1,
  );
}

/** How the API runs: behind the nginx gateway (how many processes), or alone. */
function apiShape(system: RunningSystem, dev: boolean): string {
  const count = system.apiReplicas.length;
  if (system.gateway) {
    const nginx = system.gateway.version.replace(/^.*\//, '');
    return `   ${count === 1 ? 'one process' : `${count} replicas`} behind nginx ${nginx}, which moves sounds' bytes`;
  }
  return dev
    ? ''
    : "   one process, which moves sounds' bytes itself (install nginx for the gateway)";
}

function printReady(system: RunningSystem, launch: LaunchSettings, dev: boolean): void {
  const seconds = (performance.now() / 1000).toFixed(1);
  const names = PROGRAM_NAMES.filter((name) => name in system.programs);
  const width = Math.max(...names.map((name) => PROGRAMS[name].title.length)) + 2;
  const databaseUrl = launch.settings.api?.DATABASE_URL;
  const database = databaseUrl
    ? `Postgres at ${new URL(databaseUrl).host} (DATABASE_URL)`
    : 'embedded PGlite';
  const redisUrl = launch.settings.api?.REDIS_URL;
  const replicaCount = system.apiReplicas.length;
  const line = (name: ProgramName) => {
    const { title, note } = PROGRAMS[name];
    const url = system.programs[name].publicUrl;
    const replicas = name === 'api' ? apiShape(system, dev) : '';
    return `  ${title.padEnd(width)}${url}${note ? `   ${note(url)}` : ''}${replicas}`;
  };
  // One write, so a reader never sees the first line without the URLs.
  say(
    [
      `all ${NUMBERS[names.length] ?? names.length} programs are healthy after ${seconds} s${dev ? ' (development: sources are watched)' : ''}`,
      ...names.map(line),
      `data: ${system.dataDir}   database: ${database}${redisUrl ? `   limits: Redis at ${new URL(redisUrl).host} (REDIS_URL)` : ''}`,
      ...(replicaCount > 1 && !redisUrl
        ? [
            `limits: each replica counts its own, so ${replicaCount} replicas allow ${replicaCount} times each; REDIS_URL shares them`,
          ]
        : []),
      dev
        ? 'a change restarts its program (the web app reloads itself); Ctrl-C stops everything'
        : 'Ctrl-C stops everything',
    ].join('\n'),
  );
}

// `pnpm start`: the whole system on this machine, no Docker and no Postgres server needed.
// Installs dependencies if needed, builds the web app if needed, starts user_api, file_store,
// the API and the web app as child processes, prints their URLs once all four are healthy,
// and stops all four on Ctrl-C or SIGTERM. Settings (all optional):
//   API_PORT=8080  FILE_STORE_PORT=8081  USER_API_PORT=8090  WEB_PORT=5173
//   CLOUD_SOUND_DATA_DIR=<repo>/data   DATABASE_URL (unset: embedded PGlite in the data dir)
//   LOG_LEVEL=info  CORS_ORIGINS (extra origins)  CLOUD_SOUND_SKIP_INSTALL=1
// The root script is `exec node scripts/start.ts`: with no shell in between, pnpm's forwarded
// SIGINT/SIGTERM reach this process directly and pnpm exits with its exit code.
import { ensureDependencies } from './start-deps.ts';
import { say } from './start-output.ts';
import {
  type ProgramName,
  REPO_DIR,
  readStartSettings,
  SettingsError,
  type StartSettings,
} from './start-settings.ts';
import { PortsBusyError, type RunningSystem, STOP_GRACE_MS, startSystem } from './start-system.ts';

const startedAt = performance.now();
const interrupted = new AbortController();
let system: RunningSystem | undefined;
let stopping: Promise<never> | undefined;

process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

/** When the first stop signal came; a wrapper such as pnpm passes a Ctrl-C on once more. */
let firstSignalAt = 0;
const SAME_SIGNAL_MS = 1000;

function onSignal(signal: NodeJS.Signals): void {
  if (firstSignalAt > 0 && performance.now() - firstSignalAt < SAME_SIGNAL_MS) return;
  if (stopping) {
    // A second Ctrl-C, a moment after the first: no more waiting.
    say(`${signal} again: killing everything now`);
    for (const program of Object.values(system?.programs ?? {})) program.stop(0);
    return;
  }
  firstSignalAt = performance.now();
  interrupted.abort();
  if (!system) return; // still starting: startSystem sees the abort and cleans up
  stopping = shutdown(`${signal} received`, 0);
}

async function shutdown(reason: string, exitCode: number): Promise<never> {
  say(`${reason}: stopping all programs`);
  const began = performance.now();
  await system?.stop(STOP_GRACE_MS);
  say(`stopped in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  process.exit(exitCode);
}

function printReady(settings: StartSettings, urls: Record<ProgramName, string>): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const database = settings.databaseUrl
    ? `Postgres at ${new URL(settings.databaseUrl).host} (DATABASE_URL)`
    : 'embedded PGlite';
  // One write, so a reader never sees the first line without the URLs.
  say(
    [
      `all four programs are healthy after ${seconds} s`,
      `  web app     ${urls.web}`,
      `  API         ${urls.api}   (reference: ${urls.api}/docs)`,
      `  file_store  ${urls.file_store}`,
      `  user_api    ${urls.user_api}   (loopback only)`,
      `data: ${settings.dataDir}   database: ${database}`,
      'Ctrl-C stops everything',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  let settings: StartSettings;
  try {
    settings = readStartSettings();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    say(`invalid setting: ${error.message}`);
    process.exit(2);
  }

  try {
    if (!settings.skipInstall) await ensureDependencies(REPO_DIR, say);
    system = await startSystem({
      settings,
      sink: (line) => process.stdout.write(`${line}\n`),
      say,
      signal: interrupted.signal,
    });
  } catch (error) {
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

  printReady(settings, system.urls);
  const { program, code, signal } = await system.firstExit;
  if (stopping) return;
  stopping = shutdown(
    `${program.spec.name} exited by itself (${signal ?? `exit code ${code}`})`,
    1,
  );
}

await main();

// The system under test: the same four programs `pnpm start` runs (scripts/start-system.ts),
// on free ports, with their logs in a file instead of the terminal.

import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import getPort from 'get-port';
import type { RunningProgram } from '../../scripts/start-child.ts';
import type { ProgramName, StartSettings } from '../../scripts/start-settings.ts';
import { startSystem } from '../../scripts/start-system.ts';
import { registerCleanup } from './cleanup.ts';

export interface BenchSystem {
  /** Loopback URLs of the four programs. */
  urls: Record<ProgramName, string>;
  programs: Record<ProgramName, RunningProgram>;
  logFile: string;
  stop(): Promise<void>;
}

export async function startBenchSystem(options: {
  dataDir: string;
  databaseUrl: string | undefined;
  logLevel: string;
  /** Extra node flags for the API, e.g. --cpu-prof. */
  apiNodeArgs: string[];
}): Promise<BenchSystem> {
  await mkdir(options.dataDir, { recursive: true });
  const logFile = join(options.dataDir, 'programs.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const settings: StartSettings = {
    ports: {
      web: await getPort(),
      api: await getPort(),
      file_store: await getPort(),
      user_api: await getPort(),
    },
    host: '127.0.0.1',
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    logLevel: options.logLevel,
    extraCorsOrigins: [],
    skipInstall: true,
  };
  const write = (line: string) => log.write(`${line}\n`);
  // Interrupted while starting, startSystem stops what it started before it rejects.
  const interrupt = new AbortController();
  const starting = startSystem({
    settings,
    sink: write,
    say: write,
    nodeArgs: { api: options.apiNodeArgs },
    signal: interrupt.signal,
  });
  const forget = registerCleanup(async () => {
    interrupt.abort();
    await starting.then((system) => system.stop()).catch(() => {});
  });
  const system = await starting.finally(forget);
  const urls = Object.fromEntries(
    Object.entries(settings.ports).map(([name, port]) => [name, `http://127.0.0.1:${port}`]),
  ) as Record<ProgramName, string>;
  return {
    urls,
    programs: system.programs,
    logFile,
    async stop() {
      await system.stop();
      await new Promise((done) => log.end(done));
    },
  };
}

// The system under test: the same four programs `pnpm start` runs, started by
// @cloud-sound/system on free ports, with their logs in a file instead of the terminal.

import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Gateway,
  type Program,
  type ProgramName,
  type ProgramSettings,
  startSystem,
} from '@cloud-sound/system';
import { registerCleanup } from './cleanup.ts';

export interface BenchSystem {
  /**
   * Loopback URLs of the four programs (the API's: the gateway, when there is one), and of the
   * first API process itself (`apiAlone`: it streams files through itself, as without nginx).
   */
  urls: Record<ProgramName | 'apiAlone', string>;
  programs: { [P in ProgramName]: Program<P> };
  /** Every API process (one unless `apiReplicas` says more). */
  apiReplicas: Program<'api'>[];
  gateway: Gateway | undefined;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Every request comes from 127.0.0.1: the benchmark measures the system, not the API's
 * per-address limits.
 */
const UNLIMITED = '1000000';

export async function startBenchSystem(options: {
  dataDir: string;
  databaseUrl: string | undefined;
  logLevel: string;
  /** Extra node flags for the API, e.g. --cpu-prof. */
  apiNodeArgs: string[];
  /** API settings on top of the benchmark's. */
  apiSettings?: ProgramSettings['api'];
  /** API processes behind the launcher's nginx gateway (needs Postgres). */
  apiReplicas?: number;
  /** The gateway in front even of one API process. */
  gateway?: boolean;
}): Promise<BenchSystem> {
  await mkdir(options.dataDir, { recursive: true });
  const logFile = join(options.dataDir, 'programs.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const logLevel = { LOG_LEVEL: options.logLevel };
  // Interrupted while starting, startSystem stops what it started before it rejects.
  const interrupt = new AbortController();
  const starting = startSystem({
    dataDir: options.dataDir,
    ports: 'free',
    databaseUrl: options.databaseUrl,
    settings: {
      api: {
        ...logLevel,
        RATE_LIMIT_UPLOADS: UNLIMITED,
        RATE_LIMIT_USER_CREATIONS: UNLIMITED,
        CLIENT_MAX_UPLOADS: UNLIMITED,
        CLIENT_MAX_PLAYBACKS: UNLIMITED,
        CLIENT_MAX_EVENT_STREAMS: UNLIMITED,
        ...options.apiSettings,
      },
      file_store: logLevel,
      user_api: logLevel,
    },
    nodeArgs: { api: options.apiNodeArgs },
    apiReplicas: options.apiReplicas,
    gateway: options.gateway,
    logs: (program, line) => log.write(`${program.padEnd(10)} | ${line}\n`),
    signal: interrupt.signal,
  });
  const forget = registerCleanup(async () => {
    interrupt.abort();
    await starting.then((system) => system.stop()).catch(() => {});
  });
  const system = await starting.finally(forget);
  const urls = Object.fromEntries(
    Object.values(system.programs).map((program) => [program.name, program.url]),
  ) as Record<ProgramName | 'apiAlone', string>;
  urls.apiAlone = urls.api;
  urls.api = system.apiUrl as string;
  return {
    urls,
    programs: system.programs,
    apiReplicas: system.apiReplicas,
    gateway: system.gateway,
    logFile,
    async stop() {
      await system.stop();
      await new Promise((done) => log.end(done));
    },
  };
}

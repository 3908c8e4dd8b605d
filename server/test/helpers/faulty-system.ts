import { afterAll, expect } from 'vitest';
import { listedIds, type Outcome, reapAndAudit, uploadReadySound } from './fault-operations.ts';
import { type Fault, type FaultProxy, startFaultProxy } from './fault-proxy.ts';
import { startSystem, type TestSystem } from './system.ts';
import { startWireDatabase, type WireDatabase } from './wire-database.ts';

/**
 * What the three fault test files share: the system with one dependency behind a fault proxy,
 * the check every fault case makes, and the readiness check while the dependency is away.
 */

export type Dependency = 'database' | 'user_api' | 'file_store';

/** Its name in GET /ready's `checks`. */
const READY_CHECK: Record<Dependency, 'database' | 'userApi' | 'fileStore'> = {
  database: 'database',
  user_api: 'userApi',
  file_store: 'fileStore',
};

export interface FaultySystem {
  system: TestSystem;
  /** Between the API and the dependency. */
  proxy: FaultProxy;
  close(): Promise<void>;
}

/**
 * The whole system with `dependency` reached through a fault proxy (the database over the
 * wire, see wire-database.ts). The reaper never runs on its own: reapAndAudit runs it when a
 * test means to. `env` adds API settings (the timeouts under test).
 */
export async function startFaultySystem(
  dependency: Dependency,
  env: Record<string, string>,
): Promise<FaultySystem> {
  let proxy: FaultProxy | undefined;
  let database: WireDatabase | undefined;
  const behindProxy = async (url: string) => {
    const target = new URL(url);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    return proxy.urlFor(url);
  };
  const system = await startSystem(
    { REAPER_INTERVAL_MS: '3600000', ...env },
    {
      async interpose({ databaseUrl, userApiUrl, fileStoreUrl }): Promise<Record<string, string>> {
        if (dependency === 'user_api') return { USER_API_URL: await behindProxy(userApiUrl) };
        if (dependency === 'file_store') {
          return { FILE_STORE_URL: await behindProxy(fileStoreUrl) };
        }
        database = await startWireDatabase(databaseUrl);
        proxy = await startFaultProxy({ host: database.host, port: database.port });
        return { DATABASE_URL: database.urlThrough(proxy.port) };
      },
    },
  );
  if (!proxy) throw new Error(`${dependency} was not put behind the proxy`);
  const faults = proxy;
  return {
    system,
    proxy: faults,
    async close() {
      await faults.set({ mode: 'pass' });
      await system.close();
      await faults.close();
      await database?.close();
    },
  };
}

/** The settings that bound every call to user_api and file_store to `ms`. */
export function backendTimeouts(ms: number): Record<string, string> {
  return {
    BACKEND_CONNECT_TIMEOUT_MS: String(ms),
    BACKEND_HEADERS_TIMEOUT_MS: String(ms),
    BACKEND_BODY_TIMEOUT_MS: String(ms),
  };
}

/** Collects one line per fault tried; PRINT_FAULT_OUTCOMES=1 prints them after the file. */
export function outcomeLog(): (line: string) => void {
  const lines: string[] = [];
  afterAll(() => {
    if (process.env.PRINT_FAULT_OUTCOMES) console.log(lines.join('\n'));
  });
  return (line) => lines.push(line);
}

/**
 * One fault case: with a sound already there, `operation` runs under `fault` and must answer
 * `answer` within `withinMs`; the sound is listed unless the operation deleted it; and once the
 * fault is lifted the same operation works at once (no restart), and after the reaper the audit
 * finds nothing wrong.
 */
export async function expectAnswerThenRecovery<Operation extends string>(options: {
  faulty: FaultySystem;
  userId: number;
  fault: Fault;
  operation: Operation;
  perform: (operation: Operation, soundId: string) => Promise<Outcome>;
  answer: Partial<Outcome>;
  success: number;
  withinMs: number;
}): Promise<Outcome> {
  const { faulty, userId, operation, perform } = options;
  const { system, proxy } = faulty;
  const existing = await uploadReadySound(system, userId);
  await proxy.set(options.fault);
  const outcome = await perform(operation, existing);
  await proxy.set({ mode: 'pass' });

  expect(outcome).toMatchObject(options.answer);
  expect(outcome.ms).toBeLessThan(options.withinMs);
  const deleted = operation === 'delete' && outcome.status === 204;
  const listed = await listedIds(system);
  if (deleted) expect(listed).toEqual([]);
  else expect(listed).toContain(existing);

  const target = deleted ? await uploadReadySound(system, userId) : existing;
  expect((await perform(operation, target)).status).toBe(options.success);
  await reapAndAudit(system);
  return outcome;
}

/** GET /ready names `dependency` as unavailable under each fault, and is 200 once it is back. */
export async function expectReadinessFollows(
  faulty: FaultySystem,
  dependency: Dependency,
  faults: Fault[],
  withinMs: number,
): Promise<void> {
  const { system, proxy } = faulty;
  const allOk = { database: 'ok', userApi: 'ok', fileStore: 'ok' };
  for (const fault of faults) {
    await proxy.set(fault);
    const started = performance.now();
    const response = await fetch(`${system.url}/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      checks: { ...allOk, [READY_CHECK[dependency]]: 'unavailable' },
    });
    expect(performance.now() - started).toBeLessThan(withinMs);
    await proxy.set({ mode: 'pass' });
    expect((await fetch(`${system.url}/ready`)).status).toBe(200);
  }
}

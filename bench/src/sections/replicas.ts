// 7. Replicas: listing and upload throughput with 1, 2 and 3 API processes behind the launcher's
// nginx gateway (the gateway in front of one too, so that only the replica count changes), on
// one Postgres database and one file_store, and where the machine's CPU went meanwhile.
import { join } from 'node:path';
import { programDataDir } from '@cloud-sound/system';
import { seedSounds } from '../database.ts';
import { getJson, MB, uploadWav } from '../http.ts';
import { runLoad } from '../load.ts';
import { apiNodeFlags } from '../plan.ts';
import { groupCpuMs, machineTicks } from '../proc.ts';
import { type BenchSystem, startBenchSystem } from '../system.ts';
import { fixed, percent } from '../table.ts';
import { errorCell, type OwnSystemsContext, type SectionReport } from './context.ts';

/** Uploads running at once in the upload runs, each a WAV of this size. */
const UPLOADERS = 8;
const UPLOAD_BYTES = 4 * 1024 * 1024;

/** Where the CPU went during one run: shares of the machine's time (2 cores = 200 %). */
interface CpuShares {
  machine: number;
  api: number;
  gateway: number;
  fileStore: number;
}

export async function runReplicasSection(context: OwnSystemsContext): Promise<SectionReport> {
  const { plan } = context;
  const title = `7. Replicas (1–${Math.max(...plan.replicaCounts)} API processes behind nginx; ${plan.loadSeconds} s per run)`;
  const header = [
    'replicas',
    'workload',
    'throughput',
    'p50 ms',
    'p99 ms',
    'errors',
    '÷ 1 replica',
    'CPU busy (all cores)',
    'CPU: API processes',
    'CPU: gateway',
    'CPU: file_store',
  ];
  const databaseUrl = await context.database.another();
  if (!databaseUrl) {
    return {
      title,
      header,
      rows: [['n/a', 'not measured: replicas share a Postgres server (set DATABASE_URL)']],
      notes: [],
    };
  }
  const systemDir = join(context.workDir, 'replicas');
  await seedSounds({
    databaseUrl,
    apiDataDir: programDataDir(systemDir, 'api'),
    count: plan.seededSounds,
    uploaders: 100,
  });

  const rows: (string | number)[][] = [];
  const baseline = new Map<string, number>();
  for (const replicas of plan.replicaCounts) {
    // Listing with the read cache on (the default) and off (READ_CACHE_TTL_MS=0: the path every
    // distinct query takes, a deep cursor or one uploader's page); uploads with the default.
    for (const cache of ['on', 'off'] as const) {
      const system = await startBenchSystem({
        dataDir: join(systemDir, `replicas-${replicas}-cache-${cache}`),
        databaseUrl,
        logLevel: plan.logLevel,
        apiNodeArgs: apiNodeFlags(plan),
        apiSettings: {
          PROCESSING_CONCURRENCY: '0',
          READ_CACHE_TTL_MS: cache === 'on' ? '1000' : '0',
        },
        apiReplicas: replicas,
        gateway: true,
      });
      try {
        rows.push(await measureListing(system, replicas, cache, baseline, context));
        if (cache === 'on') rows.push(await measureUploads(system, replicas, baseline, context));
      } finally {
        await system.stop();
      }
    }
  }
  return {
    title,
    header,
    rows,
    notes: [
      `Each run: the system started afresh with that many API processes, all on one Postgres database seeded with ${plan.seededSounds.toLocaleString('en')} sounds and one file_store; nginx (1 worker) in front in every run, so only the replica count changes. Listing: autocannon at ${plan.loadConnections} connections through the gateway. Uploads: ${UPLOADERS} clients each uploading ${UPLOAD_BYTES / 1024 / 1024} MiB WAVs back to back for ${plan.loadSeconds} s (p50/p99: one upload's time). CPU: share of the machine's time during the run (2 cores = 200 %), busy in all and by process group; Postgres, the load generator and the benchmark itself make up the rest.`,
    ],
  };
}

async function measureListing(
  system: BenchSystem,
  replicas: number,
  cache: 'on' | 'off',
  baseline: Map<string, number>,
  { plan }: OwnSystemsContext,
): Promise<(string | number)[]> {
  const url = `${system.urls.api}/sounds?limit=${plan.listingPageSize}`;
  const workload = `listing, read cache ${cache}`;
  try {
    if (plan.warmupSeconds > 0) {
      await runLoad({ url, connections: plan.loadConnections, seconds: plan.warmupSeconds });
    }
    const { result, cpu } = await measureCpu(system, () =>
      runLoad({ url, connections: plan.loadConnections, seconds: plan.loadSeconds }),
    );
    return row(
      replicas,
      workload,
      `${fixed(result.requestsPerSecond, 0)} req/s`,
      result,
      result.errors + result.non2xx,
      result.requestsPerSecond,
      baseline,
      cpu,
    );
  } catch (error) {
    return [replicas, workload, errorCell(error), '', '', 1, '', '', '', '', ''];
  }
}

async function measureUploads(
  system: BenchSystem,
  replicas: number,
  baseline: Map<string, number>,
  { plan }: OwnSystemsContext,
): Promise<(string | number)[]> {
  const workload = `uploads, ${UPLOADERS} at once`;
  try {
    const userId = 8_000_000 + replicas;
    await getJson(`${system.urls.api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: userId }),
    });
    const { result, cpu } = await measureCpu(system, () =>
      uploadFor(system, userId, plan.loadSeconds),
    );
    const perSecond = result.bytes / MB / result.seconds;
    return row(
      replicas,
      workload,
      `${fixed(perSecond)} MB/s (${fixed(result.count / result.seconds)} uploads/s)`,
      result,
      result.failures,
      perSecond,
      baseline,
      cpu,
    );
  } catch (error) {
    return [replicas, workload, errorCell(error), '', '', 1, '', '', '', '', ''];
  }
}

function row(
  replicas: number,
  workload: string,
  throughput: string,
  { p50Ms, p99Ms }: { p50Ms: number; p99Ms: number },
  errors: number,
  rate: number,
  baseline: Map<string, number>,
  cpu: CpuShares,
): (string | number)[] {
  if (!baseline.has(workload)) baseline.set(workload, rate);
  const first = baseline.get(workload) ?? rate;
  return [
    replicas,
    workload,
    throughput,
    fixed(p50Ms, 0),
    fixed(p99Ms, 0),
    errors,
    percent(rate / first),
    percent(cpu.machine),
    percent(cpu.api),
    percent(cpu.gateway),
    percent(cpu.fileStore),
  ];
}

/** Runs `work`; where the CPU went meanwhile, as shares of one core's time (× cores in all). */
async function measureCpu<T>(
  system: BenchSystem,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: CpuShares }> {
  const groups = {
    api: system.apiReplicas.map((replica) => replica.pid),
    gateway: system.gateway ? [system.gateway.pid] : [],
    fileStore: [system.programs.file_store.pid],
  };
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + groupCpuMs(pid), 0);
  const before = {
    machine: machineTicks(),
    api: sum(groups.api),
    gateway: sum(groups.gateway),
    fileStore: sum(groups.fileStore),
  };
  const began = performance.now();
  const result = await work();
  const wallMs = performance.now() - began;
  const after = machineTicks();
  return {
    result,
    cpu: {
      // Busy clock ticks (10 ms each, summed over the cores) per 10 ms of wall time.
      machine: (after.busy - before.machine.busy) / (wallMs / 10),
      api: (sum(groups.api) - before.api) / wallMs,
      gateway: (sum(groups.gateway) - before.gateway) / wallMs,
      fileStore: (sum(groups.fileStore) - before.fileStore) / wallMs,
    },
  };
}

/** UPLOADERS clients uploading back to back for `seconds`. */
async function uploadFor(
  system: BenchSystem,
  userId: number,
  seconds: number,
): Promise<{
  count: number;
  failures: number;
  bytes: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}> {
  const began = performance.now();
  const deadline = began + seconds * 1000;
  const times: number[] = [];
  let failures = 0;
  let firstFailure = '';
  await Promise.all(
    Array.from({ length: UPLOADERS }, async () => {
      while (performance.now() < deadline) {
        const upload = await uploadWav(`${system.urls.api}/sounds`, {
          field: 'file',
          totalBytes: UPLOAD_BYTES,
          headers: { 'x-user-id': String(userId) },
        }).catch((error: Error) => ({ status: 0, ms: 0, text: error.message }));
        if (upload.status === 201) times.push(upload.ms);
        else {
          failures += 1;
          firstFailure ||= `${upload.status} ${upload.text}`;
        }
      }
    }),
  );
  if (times.length === 0) throw new Error(`no upload succeeded: ${firstFailure}`);
  const sorted = times.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    count: times.length,
    failures,
    bytes: times.length * UPLOAD_BYTES,
    seconds: (performance.now() - began) / 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

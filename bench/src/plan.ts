// What one run measures: the full benchmark's sizes and durations, or the smoke run's tiny
// ones (`--smoke` or BENCH_SMOKE=1), which exercise every section in well under a minute.

const KiB = 1024;
const MiB = 1024 * KiB;

export const SECTIONS = [
  'upload',
  'playback',
  'listing',
  'concurrency',
  'startup',
  'catalogue',
  'replicas',
  'processing',
  'fairness',
  'slow-readers',
  'live-events',
  'resumable',
] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchPlan {
  smoke: boolean;
  sections: SectionName[];
  uploadSizes: number[];
  /** Each size is sent this many times each way; the median counts. */
  uploadRuns: number;
  /** One unreported upload of this size each way first, so the JIT has compiled the path. */
  uploadWarmupBytes: number;
  /** The resumable section's files, each sent this many times each way, in turn. */
  resumableSizes: number[];
  resumableRuns: number;
  /** The chunked tus uploads' PATCH size (the web app's). */
  resumableChunkBytes: number;
  fullReads: number;
  rangeCount: number;
  rangeBytes: number;
  seededSounds: number;
  /** The catalogue section's sounds (a million). */
  catalogueSounds: number;
  /** The replica counts the scaling section compares. */
  replicaCounts: number[];
  listingPageSize: number;
  loadConnections: number;
  loadSeconds: number;
  warmupSeconds: number;
  concurrentUploads: number;
  concurrentUploadBytes: number;
  /** Clients that ask for audio and never read, the addresses they come from, the file's size. */
  slowReaders: number;
  slowReaderAddresses: number;
  slowReaderFileBytes: number;
  /** Rounds of another client's playback, upload and listing beside them, after a pause. */
  slowReaderRounds: number;
  slowReaderSettleMs: number;
  /** Idle GET /events streams held open beside the listing load. */
  idleEventStreams: number;
  /** nginx is installed with apt-get when missing (never in smoke runs, e.g. CI). */
  installNginx: boolean;
  logLevel: string;
  /** Set: the API runs with --cpu-prof and writes its profile here. */
  cpuProfileDir: string | undefined;
  /** Extra node flags for the API (BENCH_API_NODE_ARGS, space-separated), for experiments. */
  apiNodeArgs: string[];
  keepData: boolean;
}

export function readPlan(argv: string[], env: NodeJS.ProcessEnv): BenchPlan {
  const smoke = argv.includes('--smoke') || env.BENCH_SMOKE === '1';
  const sections = env.BENCH_SECTIONS
    ? (env.BENCH_SECTIONS.split(',').map((name) => name.trim()) as SectionName[])
    : [...SECTIONS];
  for (const name of sections) {
    if (!SECTIONS.includes(name)) throw new Error(`BENCH_SECTIONS: unknown section "${name}"`);
  }
  const common = {
    smoke,
    sections,
    listingPageSize: 50,
    loadConnections: 50,
    concurrentUploads: 16,
    installNginx: !smoke,
    logLevel: env.BENCH_LOG_LEVEL || 'warn',
    cpuProfileDir: env.BENCH_CPU_PROF || undefined,
    apiNodeArgs: (env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean),
    keepData: env.BENCH_KEEP === '1',
  };
  if (smoke) {
    return {
      ...common,
      uploadSizes: [64 * KiB, 256 * KiB],
      uploadRuns: 1,
      uploadWarmupBytes: 0,
      resumableSizes: [1 * MiB, 4 * MiB],
      resumableRuns: 1,
      // Smaller than the files, so the smoke run sends several PATCHes too.
      resumableChunkBytes: 1 * MiB,
      fullReads: 1,
      rangeCount: 8,
      rangeBytes: 16 * KiB,
      seededSounds: 200,
      catalogueSounds: 2_000,
      replicaCounts: [1, 2],
      loadSeconds: 1,
      warmupSeconds: 0,
      concurrentUploadBytes: 64 * KiB,
      slowReaders: 20,
      slowReaderAddresses: 5,
      slowReaderFileBytes: 1 * MiB,
      slowReaderRounds: 2,
      slowReaderSettleMs: 500,
      idleEventStreams: 50,
    };
  }
  return {
    ...common,
    uploadSizes: [1 * MiB, 16 * MiB, 100 * MiB],
    uploadRuns: 5,
    uploadWarmupBytes: 16 * MiB,
    resumableSizes: [100 * MiB, 1024 * MiB],
    resumableRuns: 3,
    resumableChunkBytes: 8 * MiB,
    fullReads: 5,
    rangeCount: 64,
    rangeBytes: 1 * MiB,
    seededSounds: 10_000,
    catalogueSounds: 1_000_000,
    replicaCounts: [1, 2, 3],
    loadSeconds: 10,
    warmupSeconds: 2,
    concurrentUploadBytes: 8 * MiB,
    slowReaders: 200,
    slowReaderAddresses: 50,
    slowReaderFileBytes: 12 * MiB,
    slowReaderRounds: 30,
    slowReaderSettleMs: 3_000,
    idleEventStreams: 1_000,
  };
}

/** The API's extra node flags for a run: BENCH_API_NODE_ARGS, and --cpu-prof when asked for. */
export function apiNodeFlags(plan: BenchPlan): string[] {
  return [
    ...plan.apiNodeArgs,
    ...(plan.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${plan.cpuProfileDir}`] : []),
  ];
}

// `pnpm bench`: starts the system on free ports (Postgres when DATABASE_URL is set, PGlite
// otherwise), measures upload, playback, listing, concurrency, start-up, a million-sound
// catalogue, replica scaling, processing and its fairness, idle live-event streams, resumable
// uploads against multipart, and prints one markdown table per section. `--smoke` (or BENCH_SMOKE=1) runs every section tiny and fast.
// Exits 1 if any measurement failed (an ERROR cell). Settings: see bench/README.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginx, programDataDir } from '@cloud-sound/system';
import { cleanUpAll, cleanUpOnSignals, registerCleanup, wasInterrupted } from './cleanup.ts';
import { createBenchDatabase, seedSounds } from './database.ts';
import { getJson } from './http.ts';
import { describeMachine, loadAverage } from './machine.ts';
import { apiNodeFlags, readPlan } from './plan.ts';
import { runCatalogueSection } from './sections/catalogue.ts';
import { runConcurrencySection } from './sections/concurrency.ts';
import type { BenchContext, OwnSystemsContext, SectionReport } from './sections/context.ts';
import { runFairnessSection } from './sections/fairness.ts';
import { runListingSection } from './sections/listing.ts';
import { runLiveEventsSection } from './sections/live-events.ts';
import { runPlaybackSection } from './sections/playback.ts';
import { runProcessingSection } from './sections/processing.ts';
import { runReplicasSection } from './sections/replicas.ts';
import { runResumableSection } from './sections/resumable.ts';
import { runSlowReadersSection } from './sections/slow-readers.ts';
import { runStartupSection } from './sections/startup.ts';
import { runUploadSection, type UploadedFiles } from './sections/upload.ts';
import { startBenchSystem } from './system.ts';
import { markdownTable } from './table.ts';

const plan = readPlan(process.argv.slice(2), process.env);
const workDir = await mkdtemp(join(tmpdir(), 'cloud-sound-bench-'));
const database = await createBenchDatabase(process.env.DATABASE_URL || undefined);
let failures = 0;
// The scratch folder goes last, once every program that keeps data in it has stopped.
const removeWorkDir = async () => {
  if (!plan.keepData) await rm(workDir, { recursive: true, force: true });
};
cleanUpOnSignals(removeWorkDir);
registerCleanup(() => database.drop());

function print(report: SectionReport): void {
  failures += report.rows.filter((row) =>
    row.some((cell) => String(cell).startsWith('ERROR')),
  ).length;
  const notes = report.notes.map((note) => `\n${note}`).join('\n');
  process.stdout.write(
    `\n### ${report.title}\n\n${markdownTable(report.header, report.rows)}\n${notes}\n`,
  );
}

process.stdout.write(
  `## Cloud Sound benchmark${plan.smoke ? ' (smoke run: tiny sizes, not figures to quote)' : ''}\n\n` +
    `${describeMachine(database.label).join('\n')}\n`,
);

const systemDir = join(workDir, 'system');
/** Sections that share one system, started once for them. */
const SHARED_SYSTEM_SECTIONS = [
  'upload',
  'playback',
  'listing',
  'concurrency',
  'slow-readers',
  'live-events',
] as const;
try {
  if (SHARED_SYSTEM_SECTIONS.some((name) => plan.sections.includes(name))) {
    await runSharedSystemSections();
  }
  if (plan.sections.includes('startup'))
    print(await runStartupSection({ plan, database, workDir, systemDir }));
  const own: OwnSystemsContext = { plan, database, workDir };
  if (plan.sections.includes('catalogue')) print(await runCatalogueSection(own));
  if (plan.sections.includes('replicas')) print(await runReplicasSection(own));
  if (plan.sections.includes('processing')) print(await runProcessingSection(own));
  if (plan.sections.includes('fairness')) print(await runFairnessSection(own));
  if (plan.sections.includes('resumable')) print(await runResumableSection(own));
} finally {
  await cleanUpAll();
  await removeWorkDir();
}

process.stdout.write(`\n- load average at the end: ${loadAverage()}\n`);
if (failures > 0) {
  process.stdout.write(`\n${failures} measurement(s) failed (ERROR cells above)\n`);
  process.exitCode = 1;
}

/** Seeds the run's database, starts one system, and runs the sections that share it. */
async function runSharedSystemSections(): Promise<void> {
  const seedBegan = performance.now();
  await seedSounds({
    databaseUrl: database.url,
    apiDataDir: programDataDir(systemDir, 'api'),
    count: plan.seededSounds,
    uploaders: 100,
  });
  process.stdout.write(
    `- seeded ${plan.seededSounds} sounds with SQL in ${((performance.now() - seedBegan) / 1000).toFixed(1)} s\n`,
  );

  if (wasInterrupted()) throw new Error('interrupted');
  const system = await startBenchSystem({
    dataDir: systemDir,
    databaseUrl: database.url,
    logLevel: plan.logLevel,
    apiNodeArgs: apiNodeFlags(plan),
    // As `pnpm start` runs it where nginx is installed: sections 1–3 measure both paths.
    gateway: Boolean(findNginx()),
    // Sections 1–4 and 10 measure transfers: processing section 1's uploads (ffmpeg on 100 MiB
    // files) behind them would take the cores they are measured on (section 8 measures it).
    apiSettings: { PROCESSING_CONCURRENCY: '0' },
  });
  const systemStopped = registerCleanup(() => system.stop());
  process.stdout.write(
    system.gateway
      ? `- the API behind the nginx gateway (${system.gateway.version}), as \`pnpm start\` runs it; "API alone" is the same API process asked directly (it then streams files itself)\n`
      : '- nginx is not installed: the API alone, no gateway\n',
  );
  process.stdout.write(
    `- programs' LOG_LEVEL=${plan.logLevel}; their logs: ${system.logFile}${plan.cpuProfileDir ? `; API CPU profile into ${plan.cpuProfileDir}` : ''}${plan.apiNodeArgs.length > 0 ? `; API node flags: ${plan.apiNodeArgs.join(' ')}` : ''}\n`,
  );
  try {
    const userId = 7_000_000 + Math.floor(Math.random() * 1_000_000);
    await getJson(`${system.urls.api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: userId }),
    });
    const context: BenchContext = { plan, system, database, userId, workDir, systemDir };

    let files: UploadedFiles | undefined;
    if (plan.sections.includes('upload')) {
      const upload = await runUploadSection(context);
      files = upload.files;
      print(upload.report);
    }
    if (plan.sections.includes('playback')) print(await runPlaybackSection(context, files));
    if (plan.sections.includes('listing')) print(await runListingSection(context));
    if (plan.sections.includes('concurrency')) print(await runConcurrencySection(context));
    if (plan.sections.includes('slow-readers')) print(await runSlowReadersSection(context));
    if (plan.sections.includes('live-events')) print(await runLiveEventsSection(context));
  } finally {
    systemStopped();
    await system.stop();
  }
}

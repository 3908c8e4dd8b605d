import { closeOnSignals } from '@cloud-sound/service-kit/serve';
import { buildWorker } from './app.ts';
import { loadConfig } from './config.ts';

// `pnpm --filter @cloud-sound/server worker`: processing jobs in a process of their own, for
// when processing must scale apart from the API (which then runs PROCESSING_CONCURRENCY=0).
// The same settings as the API; it answers no HTTP.
const config = loadConfig();
const worker = await buildWorker(config);

closeOnSignals(worker);

await worker.ready();
worker.log.info({ concurrency: config.PROCESSING_CONCURRENCY }, 'Cloud Sound worker ready');

import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import { probeBudget } from '../media/probe.ts';
import { createMediaTool } from '../media/tool.ts';
import { claimJob } from './jobs.ts';
import { type JobOutcome, type ProcessingDependencies, processJob } from './process-sound.ts';

export interface RunnerOptions extends ProcessingDependencies {
  /** Jobs run at once in this process; 0: none (another process processes). */
  concurrency: number;
  /** How often an idle runner looks for due jobs (another replica's uploads, retries). */
  pollMs: number;
}

export interface ProcessingRunner {
  start(): void;
  /** A job may be due now (this process just published a sound): look at once. */
  wake(): void;
  /** Stops claiming; running attempts are stopped and their jobs given back at once. */
  stop(): Promise<void>;
  /** Whether ffmpeg can run here, for /ready. */
  ffmpegAvailable(): Promise<boolean>;
  /** Resolves with each attempt's outcome (tests watch it). */
  onOutcome(listener: (soundId: string, outcome: JobOutcome) => void): () => void;
}

/**
 * Runs processing jobs: `concurrency` loops, each claiming the job due longest, processing it,
 * and claiming the next; idle, they wait for `wake()` or `pollMs`. While ffmpeg cannot run,
 * nothing is claimed: sounds stay `pending` and are processed once it is back.
 */
export function createProcessingRunner(options: RunnerOptions): ProcessingRunner {
  const { db, ffmpeg, log } = options;
  let stopping = false;
  const stopAll = new AbortController();
  const sleepers = new Set<AbortController>();
  const listeners = new Set<(soundId: string, outcome: JobOutcome) => void>();
  const loops: Promise<void>[] = [];

  async function idle(ms: number): Promise<void> {
    if (stopping) return;
    const waiting = new AbortController();
    sleepers.add(waiting);
    const signal = AbortSignal.any([waiting.signal, stopAll.signal]);
    await sleep(ms, undefined, { signal }).catch(() => {});
    sleepers.delete(waiting);
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        if (!(await ffmpeg.available()) || !(await options.ffprobe.available())) {
          await idle(options.pollMs);
          continue;
        }
        const job = await claimJob(db, options.leaseMs);
        if (!job) {
          await idle(options.pollMs);
          continue;
        }
        const outcome = await processJob(job, options, stopAll.signal);
        for (const listener of listeners) listener(job.soundId, outcome);
      } catch (error) {
        // The database, most likely: the job's lease runs out and it is claimed again.
        log.warn({ err: error }, 'processing loop failed; trying again shortly');
        await idle(options.pollMs);
      }
    }
  }

  return {
    start() {
      for (let i = 0; i < options.concurrency; i++) loops.push(loop());
    },
    wake() {
      for (const sleeper of sleepers) sleeper.abort();
    },
    async stop() {
      stopping = true;
      stopAll.abort();
      for (const sleeper of sleepers) sleeper.abort();
      await Promise.all(loops);
    },
    ffmpegAvailable: () => ffmpeg.available(),
    onOutcome(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The runner as the PROCESSING_* settings describe it (the API's and the worker's). */
export function createRunnerFromSettings(
  config: Config,
  deps: Pick<ProcessingDependencies, 'db' | 'fileStore' | 'log'>,
): ProcessingRunner {
  const budget = {
    timeoutMs: config.PROCESSING_TIMEOUT_MS,
    cpuSeconds: config.PROCESSING_CPU_SECONDS,
    memoryMb: config.PROCESSING_MEMORY_MB,
  };
  return createProcessingRunner({
    ...deps,
    ffmpeg: createMediaTool(config.FFMPEG_PATH, budget),
    budget,
    maxDurationMs: config.MAX_DURATION_MS,
    // The same budget as the upload check's: the job asks the same question.
    ffprobe: createMediaTool(config.FFPROBE_PATH, probeBudget(config)),
    maxAttempts: config.PROCESSING_MAX_ATTEMPTS,
    retryDelayMs: config.PROCESSING_RETRY_DELAY_MS,
    concurrency: config.PROCESSING_CONCURRENCY,
    pollMs: config.PROCESSING_POLL_MS,
    leaseMs: config.PROCESSING_LEASE_MS,
  });
}

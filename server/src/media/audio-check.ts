import { Piscina } from 'piscina';
import { createSlots, NoFreeSlot } from '../backends/http.ts';
import { ACCEPTED_FORMAT_NAMES } from '../contract.ts';
import { Errors } from '../lib/errors.ts';
import type { CheckResult, InspectTask, SniffTask } from './check-worker.ts';
import type { AudioFormat, AudioInfo } from './formats/types.ts';

/** The budget of one check, and how many may run at once. */
export interface AudioCheckOptions {
  /** Where stored files are read: file_store's base URL. */
  fileStoreUrl: string;
  /** Wall time of one check; its thread is stopped past it. */
  timeoutMs: number;
  /** Heap of each worker thread (V8's old generation). */
  memoryMb: number;
  /** Bytes one check may read beyond the head it is given. */
  maxBytes: number;
  /** Checks running at once (one thread each); more wait up to `queueTimeoutMs`, then 503. */
  threads: number;
  queueTimeoutMs: number;
  /** Longest wait for one read from file_store (then 503 STORAGE_UNAVAILABLE). */
  readTimeoutMs: number;
}

/**
 * The upload check: is this file audio in a format the API accepts, and what do its headers
 * say? The format parsers run in worker threads (Piscina) under a budget of wall time, heap and
 * bytes read; nothing of an uploaded file is parsed on the API's event loop.
 */
export interface AudioCheck {
  /** From the first bytes: a candidate format, or 415 for anything that cannot be audio. */
  sniff(head: Uint8Array): Promise<AudioFormat | 'id3'>;
  /**
   * The stored file's structure, read from `head` and by Range from file_store: 415 when its
   * first frames are not audio, 422 when checking would overrun the budget.
   */
  inspect(file: { head: Uint8Array; size: number; storageKey: string }): Promise<AudioInfo>;
  close(): Promise<void>;
}

export function createAudioCheck(options: AudioCheckOptions): AudioCheck {
  const pool = new Piscina<SniffTask | InspectTask, CheckResult>({
    filename: new URL('./check-worker.ts', import.meta.url).href,
    minThreads: 0,
    maxThreads: options.threads,
    // Threads that sat idle this long go, so an API without uploads holds none.
    idleTimeout: 30_000,
    resourceLimits: {
      maxOldGenerationSizeMb: options.memoryMb,
      maxYoungGenerationSizeMb: Math.max(4, Math.floor(options.memoryMb / 8)),
      stackSizeMb: 4,
    },
  });
  // One slot per thread, so a check never queues inside Piscina: a check that has its slot
  // starts at once, and its deadline measures its own work alone.
  const slots = createSlots(options.threads, options.queueTimeoutMs);

  async function run(task: SniffTask | InspectTask): Promise<CheckResult> {
    let release: () => void;
    try {
      release = await slots.take();
    } catch (cause) {
      if (cause instanceof NoFreeSlot) throw new Errors.mediaCheckBusy({ cause });
      throw cause;
    }
    try {
      return await pool.run(task, { signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (cause) {
      // Stopped at its deadline, or out of heap: the file cost more than its budget.
      if (isOverrun(cause)) throw new Errors.audioUnverifiable(overrunReason(cause, options));
      throw cause;
    } finally {
      release();
    }
  }

  function refuse(result: Extract<CheckResult, { ok: false }>): never {
    if (result.reason === 'over-budget') throw new Errors.audioUnverifiable(result.message);
    if (result.reason === 'storage') {
      throw new Errors.storageUnavailable({ cause: new Error(result.message) });
    }
    throw new Errors.notAudio(
      `The file is not audio in a supported format (${ACCEPTED_FORMAT_NAMES}): ${result.message}`,
    );
  }

  return {
    async sniff(head) {
      const result = await run({ kind: 'sniff', head });
      if (!result.ok) refuse(result);
      if (!('format' in result)) throw new Error('the sniff answered without a format');
      return result.format;
    },

    async inspect({ head, size, storageKey }) {
      const result = await run({
        kind: 'inspect',
        head,
        size,
        fileUrl: `${options.fileStoreUrl.replace(/\/+$/, '')}/files/${encodeURIComponent(storageKey)}`,
        maxBytes: options.maxBytes,
        readTimeoutMs: options.readTimeoutMs,
      });
      if (!result.ok) refuse(result);
      if (!('info' in result)) throw new Error('the check answered without its findings');
      return result.info;
    },

    close: () => pool.destroy(),
  };
}

function isOverrun(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.name === 'AbortError' || code === 'ERR_WORKER_OUT_OF_MEMORY';
}

function overrunReason(error: unknown, options: AudioCheckOptions): string {
  return (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY'
    ? `more than ${options.memoryMb} MB of memory`
    : `more than ${options.timeoutMs} ms`;
}

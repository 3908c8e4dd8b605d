/**
 * The upload check's worker thread (run by Piscina, see audio-check.ts): the one place the
 * format parsers read untrusted bytes. The thread is stopped when it overruns its wall time and
 * cannot grow its heap past its limit, so a file built to be slow or large to parse costs its
 * own budget and never the API's event loop. Results come back as plain data (a thrown custom
 * error would lose its class on the way).
 */
import { inspectAudio, sniffAudioFormat } from './formats/index.ts';
import {
  type AudioFormat,
  type AudioInfo,
  type ByteSource,
  NotAudioError,
  OverBudgetError,
} from './formats/types.ts';

export interface SniffTask {
  kind: 'sniff';
  head: Uint8Array;
}

export interface InspectTask {
  kind: 'inspect';
  /** The first bytes of the file, already in memory: read from here rather than again. */
  head: Uint8Array;
  size: number;
  /** Where the stored file can be read by Range (file_store). */
  fileUrl: string;
  /** The most bytes this check may read beyond the head. */
  maxBytes: number;
  /** Longest wait for one read from file_store. */
  readTimeoutMs: number;
}

export type CheckResult =
  | { ok: true; format: AudioFormat | 'id3' }
  | { ok: true; info: AudioInfo }
  | { ok: false; reason: 'not-audio' | 'over-budget' | 'storage'; message: string };

export default async function check(task: SniffTask | InspectTask): Promise<CheckResult> {
  if (task.kind === 'sniff') {
    const format = sniffAudioFormat(task.head);
    return format
      ? { ok: true, format }
      : { ok: false, reason: 'not-audio', message: 'not one of the accepted formats' };
  }
  try {
    return { ok: true, info: await inspectAudio(rangeSource(task)) };
  } catch (error) {
    if (error instanceof NotAudioError) {
      return { ok: false, reason: 'not-audio', message: error.message };
    }
    if (error instanceof OverBudgetError) {
      return { ok: false, reason: 'over-budget', message: error.message };
    }
    if (error instanceof StorageReadError) {
      return { ok: false, reason: 'storage', message: error.message };
    }
    throw error;
  }
}

class StorageReadError extends Error {}

/** The stored file, read from the head in memory or by HTTP Range, within a byte budget. */
function rangeSource(task: InspectTask): ByteSource {
  let budget = task.maxBytes;
  return {
    size: task.size,
    async read(offset, length) {
      const end = Math.min(offset + length, task.size);
      if (end <= offset) return new Uint8Array(0);
      if (end <= task.head.length) return task.head.subarray(offset, end);
      budget -= end - offset;
      if (budget < 0) throw new OverBudgetError(`read more than ${task.maxBytes} bytes`);
      return readRange(task, offset, end);
    },
  };
}

async function readRange(task: InspectTask, start: number, end: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(task.fileUrl, {
      headers: { range: `bytes=${start}-${end - 1}` },
      signal: AbortSignal.timeout(task.readTimeoutMs),
    });
  } catch (cause) {
    throw new StorageReadError(`file_store could not be read: ${(cause as Error).message}`);
  }
  if (response.status !== 206) {
    await response.body?.cancel();
    throw new StorageReadError(`file_store answered a Range request with ${response.status}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  // file_store answers exactly the range asked for; anything else is not the stored file.
  if (bytes.length !== end - start) {
    throw new StorageReadError(`file_store sent ${bytes.length} bytes of ${end - start}`);
  }
  return bytes;
}

import { createSlots, NoFreeSlot } from '../backends/http.ts';
import { Errors } from '../lib/errors.ts';
import { type ProbedAudio, probeAudio } from './probe.ts';
import type { Sniffed } from './sniff.ts';
import type { MediaTool } from './tool.ts';

/**
 * The upload check: ffprobe's verdict on a stored upload (media/probe.ts), at most `concurrency`
 * at once per process, turned into the API's answers — 415 for what is not audio, 422 for what
 * would cost more CPU or memory than its budget to check, 503 when file_store cannot be read or
 * the machine is too busy to finish the check in time.
 */
export interface UploadCheck {
  /** Whether ffprobe runs on this machine (without it, uploads wait `pending` for a verdict). */
  available(): Promise<boolean>;
  /**
   * What the stored file is, or undefined when ffprobe is not on this machine (processing
   * judges it once it is). Throws the API error that refuses it.
   */
  judge(readUrl: string, sniffed: Sniffed): Promise<ProbedAudio | undefined>;
}

export function createUploadCheck(
  ffprobe: MediaTool,
  options: { concurrency: number; queueTimeoutMs: number },
): UploadCheck {
  const slots = createSlots(options.concurrency, options.queueTimeoutMs);
  return {
    available: () => ffprobe.available(),

    async judge(readUrl, sniffed) {
      if (!(await ffprobe.available())) return undefined;
      let release: () => void;
      try {
        release = await slots.take();
      } catch (cause) {
        if (cause instanceof NoFreeSlot) throw new Errors.mediaCheckBusy({ cause });
        throw cause;
      }
      try {
        const verdict = await probeAudio(ffprobe, readUrl, sniffed);
        if (verdict.audio) return verdict.found;
        if (verdict.why === 'over-budget') throw new Errors.audioUnverifiable(verdict.finding);
        if (verdict.why === 'busy') {
          throw new Errors.mediaCheckBusy({ cause: new Error(verdict.finding) });
        }
        if (verdict.why === 'storage') {
          throw new Errors.storageUnavailable({ cause: new Error(verdict.finding) });
        }
        throw notAudio(verdict.finding);
      } finally {
        release();
      }
    },
  };
}

/** 415 with what the file is instead, e.g. "The file is not audio: a PNG image." */
export function notAudio(finding: string): Error {
  return new Errors.notAudio(`The file is not audio Cloud Sound can play: ${finding}.`);
}

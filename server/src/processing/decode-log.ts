import type { Loudness } from './render.ts';

/**
 * Reads ffmpeg's log (`-loglevel level+info`, one line at a time) for what a decode leaves
 * there: how many errors it met, how many samples it decoded (astats), the loudness summary
 * (ebur128) and whether reading the input failed. A filter graph that ffmpeg rebuilds mid-stream
 * (the format changed) logs its summaries once per graph: the samples add up, the last
 * loudness summary is kept.
 */
export class DecodeLog {
  errors = 0;
  decodedSamples = 0;
  storageFailed = false;
  #integrated: number | undefined;
  #truePeak: number | undefined;
  #loudness: Loudness | null = null;

  read(line: string): void {
    if (/\[(error|fatal|panic)\]/.test(line)) {
      this.errors += 1;
      if (STORAGE_FAILURE.test(line)) this.storageFailed = true;
    }
    const samples = line.match(/Number of samples: (\d+)/);
    if (samples) this.decodedSamples += Number(samples[1]);
    if (/\bSummary:/.test(line)) {
      this.#integrated = undefined;
      this.#truePeak = undefined;
    }
    const integrated = line.match(/^\s*I:\s+(-?[\d.]+|-inf|nan) LUFS/);
    if (integrated) this.#integrated = Number(integrated[1]);
    const peak = line.match(/^\s*Peak:\s+(-?[\d.]+|-inf|nan) dBFS/);
    if (peak) {
      this.#truePeak = Number(peak[1]);
      this.#loudness = measured(this.#integrated, this.#truePeak);
    }
  }

  /** The last summary's loudness; null below the gate (silence, or shorter than 400 ms). */
  get loudness(): Loudness | null {
    return this.#loudness;
  }
}

/** ebur128 reports −70 LUFS (its absolute gate) when nothing was loud or long enough. */
const GATE_LUFS = -70;

function measured(integrated: number | undefined, truePeak: number): Loudness | null {
  if (integrated === undefined || !Number.isFinite(integrated) || integrated <= GATE_LUFS) {
    return null;
  }
  if (!Number.isFinite(truePeak)) return null;
  return { integratedLufs: integrated, truePeakDbtp: truePeak };
}

const STORAGE_FAILURE =
  /Connection refused|Connection timed out|Connection reset|Server returned [45]\d\d|Input\/output error/i;

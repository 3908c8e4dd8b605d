/**
 * The waveform of a decoded sound as BBC audiowaveform's JSON (version 2, 8 bits, one channel:
 * min/max pairs), which wavesurfer.js and peaks.js draw from directly. Built while the PCM
 * streams past, in constant memory: the points start at a millisecond each and, whenever there
 * are twice MAX_POINTS of them, neighbours merge; at the end they merge once more if need be,
 * so anything longer than two seconds ends with 1,000 to 2,000 points (a shorter sound has one
 * a millisecond).
 */

/** The rate ffmpeg resamples to for measuring: plenty for a picture, cheap to read. */
export const PEAKS_SAMPLE_RATE = 8000;
const MAX_POINTS = 2000;
const FINEST_SAMPLES_PER_POINT = PEAKS_SAMPLE_RATE / 1000;

export interface Waveform {
  version: 2;
  channels: 1;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8;
  length: number;
  data: number[];
}

export class PeaksBuilder {
  #samplesPerPoint = FINEST_SAMPLES_PER_POINT;
  /** min, max of every finished point. */
  #points: number[] = [];
  #min = 127;
  #max = -128;
  #inPoint = 0;
  #samples = 0;
  /** An odd byte left over from the last chunk (samples are 2 bytes). */
  #carry: number | undefined;

  /** Takes signed 16-bit little-endian mono samples, in chunks of any size. */
  push(chunk: Buffer): void {
    let at = 0;
    if (this.#carry !== undefined && chunk.length > 0) {
      // Little-endian: the byte carried over is the low one.
      this.#add((((chunk[0] as number) << 24) >> 16) | this.#carry);
      this.#carry = undefined;
      at = 1;
    }
    const end = at + ((chunk.length - at) & ~1);
    for (let i = at; i < end; i += 2) this.#add(chunk.readInt16LE(i));
    if (end < chunk.length) this.#carry = chunk[end];
  }

  /** Samples seen so far: the sound's exact length at PEAKS_SAMPLE_RATE. */
  get samples(): number {
    return this.#samples;
  }

  finish(): Waveform {
    if (this.#inPoint > 0) this.#closePoint();
    while (this.#points.length / 2 > MAX_POINTS) this.#halve();
    return {
      version: 2,
      channels: 1,
      sample_rate: PEAKS_SAMPLE_RATE,
      samples_per_pixel: this.#samplesPerPoint,
      bits: 8,
      length: this.#points.length / 2,
      data: this.#points,
    };
  }

  #add(sample: number): void {
    // 16 bits to 8: the top byte, as audiowaveform's 8-bit output does.
    const value = sample >> 8;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    this.#samples += 1;
    if (++this.#inPoint === this.#samplesPerPoint) this.#closePoint();
  }

  #closePoint(): void {
    this.#points.push(this.#min, this.#max);
    this.#min = 127;
    this.#max = -128;
    this.#inPoint = 0;
    if (this.#points.length / 2 >= 2 * MAX_POINTS) this.#halve();
  }

  /** Merges each pair of neighbouring points: half as many, each covering twice the samples. */
  #halve(): void {
    const merged: number[] = [];
    for (let i = 0; i < this.#points.length; i += 4) {
      const nextMin = this.#points[i + 2];
      const nextMax = this.#points[i + 3];
      const min = this.#points[i] as number;
      const max = this.#points[i + 1] as number;
      merged.push(
        nextMin === undefined ? min : Math.min(min, nextMin),
        nextMax === undefined ? max : Math.max(max, nextMax),
      );
    }
    this.#points = merged;
    this.#samplesPerPoint *= 2;
  }
}

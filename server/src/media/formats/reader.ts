import { type ByteSource, NotAudioError } from './types.ts';

/** A miss at most this far from where the previous request ended continues a walk... */
const NEAR_BYTES = 4 * 1024;
/** ...over small structures, and reads this much ahead... */
const READ_AHEAD = 64 * 1024;
/** ...while one further away (past a structure skipped by its size) reads only this much. */
const JUMP_READ = 1024;

/**
 * Reads a ByteSource through one window of bytes, so that the verifiers can ask for a few
 * bytes at a time without one source read per field, and skip large structures (tags, cover
 * art, media data) without reading them.
 */
export class ByteReader {
  readonly size: number;
  readonly #source: ByteSource;
  #windowStart = 0;
  #window: Uint8Array = new Uint8Array(0);
  /** Where the previous request ended. */
  #lastEnd = 0;

  constructor(source: ByteSource) {
    this.#source = source;
    this.size = source.size;
  }

  /** Up to `length` bytes at `offset`, fewer only where the file ends. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!(offset >= 0 && length >= 0)) throw new RangeError(`read(${offset}, ${length})`);
    const end = Math.min(offset + length, this.size);
    const near = Math.abs(offset - this.#lastEnd) <= NEAR_BYTES;
    this.#lastEnd = end;
    if (offset >= end) return new Uint8Array(0);
    const windowEnd = this.#windowStart + this.#window.length;
    if (offset >= this.#windowStart && end <= windowEnd) {
      return this.#window.subarray(offset - this.#windowStart, end - this.#windowStart);
    }
    const wanted = Math.max(end - offset, near ? READ_AHEAD : JUMP_READ);
    this.#window = await this.#source.read(offset, Math.min(wanted, this.size - offset));
    this.#windowStart = offset;
    return this.#window.subarray(0, end - offset);
  }

  /** Exactly `length` bytes at `offset`; NotAudioError(`message`) when the file ends first. */
  async need(offset: number, length: number, message: string): Promise<Uint8Array> {
    const bytes = await this.read(offset, length);
    if (bytes.length < length) throw new NotAudioError(message);
    return bytes;
  }
}

import { type ByteSource, OverBudgetError } from '../../src/media/formats/types.ts';

/** A ByteSource over bytes in memory that counts what is read, and can refuse past a budget. */
export interface MemorySource extends ByteSource {
  /** Bytes handed out so far. */
  readonly bytesRead: number;
  /** Reads so far. */
  readonly reads: number;
}

export function bufferSource(bytes: Uint8Array, budget = Number.POSITIVE_INFINITY): MemorySource {
  let bytesRead = 0;
  let reads = 0;
  return {
    size: bytes.length,
    get bytesRead() {
      return bytesRead;
    },
    get reads() {
      return reads;
    },
    async read(offset, length) {
      const slice = bytes.subarray(offset, Math.min(offset + length, bytes.length));
      bytesRead += slice.length;
      reads += 1;
      if (bytesRead > budget) throw new OverBudgetError(`Read more than ${budget} bytes`);
      // A copy, as a network source would give: no verifier can rely on sharing memory.
      return slice.slice();
    },
  };
}

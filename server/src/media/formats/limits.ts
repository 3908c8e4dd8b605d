import { OverBudgetError } from './types.ts';

/** Chunks, boxes, elements or pages one verifier walks at most. */
export const MAX_STRUCTURES = 10_000;
/** Metadata blocks (FLAC) or leading tags (ID3v2) at most: real files have a handful. */
export const MAX_METADATA_BLOCKS = 1_000;

/** A step counter for one walk: each call counts one structure, past `limit` it throws. */
export function structureCounter(limit: number, what: string): () => void {
  let count = 0;
  return () => {
    count += 1;
    if (count > limit) throw new OverBudgetError(`More than ${limit} ${what}`);
  };
}

import { combineRanges, parse as parseRangeHeader } from 'range-parser';

export type ByteRangeChoice =
  | { kind: 'whole' }
  | { kind: 'part'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const WHOLE: ByteRangeChoice = { kind: 'whole' };

/**
 * Decides what a GET answers, following RFC 9110 §14: one satisfiable range → that part (206),
 * only unsatisfiable ranges → 416, no/malformed/stale (If-Range) Range header → whole file.
 */
export function chooseByteRange(
  size: number,
  headers: { range?: string | undefined; 'if-range'?: string | undefined },
  validators: { etag: string; lastModified: string },
): ByteRangeChoice {
  const { range, 'if-range': ifRange } = headers;
  if (!range) return WHOLE;
  // If-Range: the client's partial copy is of another version, so it needs the whole file.
  if (ifRange && ifRange !== validators.etag && ifRange !== validators.lastModified) return WHOLE;

  const parsed = parseRangeHeader(size, range);
  // A syntactically invalid header or another unit is ignored, as the RFC says.
  if (parsed.code & 1 || parsed.type !== 'bytes') return WHOLE;

  const ranges = combineRanges(parsed.ranges);
  const [first] = ranges;
  if (ranges.length === 1 && first) return { kind: 'part', start: first.start, end: first.end };
  // Several disjoint ranges would need a multipart/byteranges body; answering with the whole
  // file (200) is allowed, and audio players only ever ask for one range.
  if (ranges.length > 1) return WHOLE;
  // No satisfiable range. The one exception: a suffix range on an empty file is satisfiable,
  // and the (empty) whole file is its answer.
  return parsed.code & 2 ? { kind: 'unsatisfiable' } : WHOLE;
}

import { Errors } from '../lib/errors.ts';

/** Where a page ended: the listing's sort key of its last row. */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A time exactly as `toISOString` writes one, from 1970 to 9999: a cursor carrying anything
 * else (a six-digit year, year 0, an offset, no milliseconds) was not made here, and a year
 * Postgres does not take (it has no year 0) would otherwise reach the query.
 */
const ISO_TIME =
  /^(19[7-9][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;

function parseTime(time: unknown): Date | undefined {
  if (typeof time !== 'string' || !ISO_TIME.test(time)) return undefined;
  const date = new Date(time);
  // Rejects impossible dates such as February 30th, which Date would roll over.
  return !Number.isNaN(date.getTime()) && date.toISOString() === time ? date : undefined;
}

/** Opaque to clients: base64url of the sort key, so its format can change without notice. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [time, id] = parsed;
      const createdAt = parseTime(time);
      if (createdAt && typeof id === 'string' && UUID.test(id)) {
        return { createdAt, id };
      }
    }
  } catch {
    // Falls through to the same answer as any other malformed cursor.
  }
  throw new Errors.invalidCursor();
}

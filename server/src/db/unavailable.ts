/**
 * Tells an unreachable or unresponsive database (worth a 503: try again shortly) from a query
 * that is wrong (a bug: 500). Only a failed query counts (Drizzle wraps the driver's error in a
 * DrizzleQueryError), so a network error of another dependency is never blamed on the database.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!isFailedQuery(error)) return false;
  const { code } = (error.cause ?? {}) as { code?: unknown };
  return typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || isUnavailableSqlState(code));
}

/**
 * Drizzle's DrizzleQueryError, recognised by its name rather than by `instanceof`, so it holds
 * whichever of Drizzle's two builds (ES module or CommonJS) threw it.
 */
function isFailedQuery(error: unknown): error is Error & { cause?: unknown } {
  return error instanceof Error && error.constructor.name === 'DrizzleQueryError';
}

const UNAVAILABLE_CODES = new Set([
  // Our watchdog (see watched-socket.ts).
  'DATABASE_TIMEOUT',
  // postgres-js: no connection within connect_timeout, or one lost or closed under a query.
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  // The network, as Node reports it.
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs of a server that cannot serve right now, rather than of a bad query. */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P02' || // crash shutdown
    code === '57P03' || // cannot connect now (starting up, recovering)
    code === '53300' || // too many connections
    code === '57014' // query cancelled: statement_timeout
  );
}

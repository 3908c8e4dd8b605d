/** The rows of a raw `db.execute`, from either driver (postgres.js: an array; PGlite: `.rows`). */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

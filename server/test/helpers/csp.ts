import { expect } from 'vitest';

/** A Content-Security-Policy header as directive → sources; fails the test when it is missing. */
export function parseCsp(header: string | null): Record<string, string[]> {
  expect(header, 'no Content-Security-Policy').toBeTruthy();
  return Object.fromEntries(
    String(header)
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../src/db/client.ts';

const run = promisify(execFile);

it('has a committed migration for every change to the Drizzle schema', async () => {
  // drizzle-kit compares the schema with the migrations' snapshots and writes a new migration
  // only when they differ: run it on a copy and expect nothing new.
  const copy = await mkdtemp(join(tmpdir(), 'drizzle-check-'));
  try {
    await cp(MIGRATIONS_DIR, copy, { recursive: true });
    const before = await readdir(copy);
    const serverDir = new URL('..', import.meta.url).pathname;
    const { stdout } = await run(
      process.execPath,
      [
        join(serverDir, 'node_modules/drizzle-kit/bin.cjs'),
        'generate',
        '--dialect=postgresql',
        '--schema=./src/db/schema.ts',
        // drizzle-kit only takes paths relative to its working directory.
        `--out=${relative(serverDir, copy)}`,
      ],
      { cwd: serverDir },
    );
    expect(stdout).toContain('No schema changes');
    expect(await readdir(copy)).toEqual(before);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});

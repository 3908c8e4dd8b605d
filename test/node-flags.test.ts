import { readFileSync } from 'node:fs';
import { API_NODE_FLAGS } from '@cloud-sound/server/node-flags';
import { expect, it } from 'vitest';

// @cloud-sound/system (`pnpm start`, `pnpm dev`, the tests, e2e and the bench) takes the API's
// node flags from server/src/node-flags.ts; the two launchers that cannot import it spell them
// out, and must keep doing so.
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

it("runs the API with its node flags in the server image's CMD", () => {
  const cmd = read('server/Dockerfile')
    .split('\n')
    .find((line) => line.startsWith('CMD '));
  expect(JSON.parse(cmd?.slice('CMD '.length) ?? '[]')).toEqual([
    'node',
    ...API_NODE_FLAGS,
    'src/main.ts',
  ]);
});

it('runs the API with its node flags in `pnpm --filter @cloud-sound/server start`', () => {
  const { scripts } = JSON.parse(read('server/package.json')) as { scripts: { start: string } };
  expect(scripts.start).toBe(['node', ...API_NODE_FLAGS, 'src/main.ts'].join(' '));
});

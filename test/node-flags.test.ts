import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { API_NODE_FLAGS } from '../server/src/node-flags.ts';

// `pnpm start`, the tests and the bench take the API's node flags from server/src/node-flags.ts;
// the two launchers that cannot import it spell them out, and must keep doing so.
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

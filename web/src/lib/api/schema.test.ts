// @vitest-environment node
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { expect, it } from 'vitest';

const FIX = 'run pnpm --filter @cloud-sound/web generate:api';
const printScript = fileURLToPath(
  new URL('../../../../server/scripts/print-openapi.ts', import.meta.url),
);

// The server's OpenAPI document is the contract; the committed copy and the types generated from
// it must match what the server says today.
it('the committed OpenAPI document and generated types match the server', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [printScript], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const current = JSON.parse(stdout);

  const committed = JSON.parse(await readFile(new URL('./openapi.json', import.meta.url), 'utf8'));
  expect(committed, `src/lib/api/openapi.json is out of date: ${FIX}`).toEqual(current);

  // The same call and header as the openapi-typescript command line in `generate:api`.
  const types = COMMENT_HEADER + astToString(await openapiTS(current, { silent: true }));
  const committedTypes = await readFile(new URL('./schema.gen.ts', import.meta.url), 'utf8');
  expect(committedTypes === types, `src/lib/api/schema.gen.ts is out of date: ${FIX}`).toBe(true);
}, 120_000);

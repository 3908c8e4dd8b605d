// `pnpm --filter @cloud-sound/server lint:openapi` (part of `pnpm lint`): the document the API
// serves, linted by two tools the project does not otherwise use, Redocly CLI (recommended
// rules) and Spectral (spectral:oas). Any error or warning of either fails it. The document
// names a public URL of a real deployment, as no-server-example.com would rightly flag
// localhost.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from './openapi-document.ts';

const serverDir = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(serverDir, 'node_modules/.bin', name);
const dir = await mkdtemp(join(tmpdir(), 'cloud-sound-lint-openapi-'));
let failed = false;
try {
  const file = join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(await openApiDocument('https://api.cloud-sound.app')));

  const redocly = spawnSync(
    bin('redocly'),
    ['lint', file, '--config', join(serverDir, 'redocly.yaml'), '--format', 'json'],
    {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  const report = JSON.parse(redocly.stdout) as {
    totals: { errors: number; warnings: number };
    problems: Array<{
      ruleId: string;
      severity: string;
      message: string;
      location: Array<{ pointer: string }>;
    }>;
  };
  for (const problem of report.problems) {
    console.log(
      `redocly ${problem.severity} ${problem.ruleId}: ${problem.message} (${problem.location[0]?.pointer})`,
    );
  }
  console.log(`redocly: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
  failed ||= report.totals.errors + report.totals.warnings > 0;

  const spectral = spawnSync(
    bin('spectral'),
    ['lint', file, '--ruleset', join(serverDir, '.spectral.yaml'), '--fail-severity', 'warn'],
    { encoding: 'utf8' },
  );
  console.log(`spectral: ${spectral.stdout.trim()}`);
  failed ||= spectral.status !== 0;
} finally {
  await rm(dir, { recursive: true, force: true });
}
if (failed) {
  console.error('lint:openapi: the OpenAPI document has problems (see above)');
  process.exit(1);
}

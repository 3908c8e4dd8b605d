// Prints the API's OpenAPI document (the same one GET /openapi.json serves) to stdout, for the
// web app's generated client. Builds the real app on a throwaway embedded database; needs no
// running backends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-openapi-'));
try {
  const config = loadConfig({
    DATA_DIR: dataDir,
    // A fixed public URL, so the document does not depend on who generates it.
    PUBLIC_URL: 'http://localhost:8080',
  });
  const app = await buildApp(config, { logger: false });
  await app.ready();
  process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

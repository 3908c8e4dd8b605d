import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

/**
 * The API's OpenAPI document, exactly as GET /openapi.json serves it, from the real app built
 * on a throwaway embedded database (no backend needs to run). `publicUrl` is the server URL it
 * names, as PUBLIC_URL would.
 */
export async function openApiDocument(publicUrl: string): Promise<unknown> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-openapi-'));
  try {
    const app = await buildApp(loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: publicUrl }), {
      logger: false,
    });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

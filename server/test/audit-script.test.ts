import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { wavTone } from './helpers/audio.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

const run = promisify(execFile);
const SCRIPT = new URL('../scripts/audit.ts', import.meta.url).pathname;

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

async function audit(): Promise<{ code: number; stdout: string }> {
  const { DATABASE_URL, DATA_DIR, FILE_STORE_URL } = system.api.config;
  const env = {
    ...process.env,
    DATA_DIR,
    FILE_STORE_URL,
    ...(DATABASE_URL ? { DATABASE_URL } : {}),
  };
  try {
    const { stdout } = await run(process.execPath, [SCRIPT], { env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

it('the operator audit passes a consistent system and names each sound whose file is gone', async () => {
  const userId = await system.createUser();
  const kept = await json<{ id: string }>(
    await uploadSound(system.url, { userId, bytes: wavTone() }),
  );
  const lost = await json<{ id: string }>(
    await uploadSound(system.url, { userId, bytes: wavTone() }),
  );
  const [row] = (await system.api.db.query.soundsTable.findMany()).filter(
    (sound) => sound.id === lost.id,
  );
  // The embedded database admits one process at a time: the API steps aside for the audit.
  await system.api.close();

  const clean = await audit();
  expect(clean.code).toBe(0);
  expect(clean.stdout).toContain('consistent');

  await fetch(`${system.fileStore.url}/files/${row?.storageKey}`, { method: 'DELETE' });
  const broken = await audit();
  expect(broken.code).toBe(1);
  expect(broken.stdout).toContain(`MISSING FILE   sound ${lost.id}`);
  expect(broken.stdout).not.toContain(kept.id);
  expect(broken.stdout).toContain('INCONSISTENT');
});

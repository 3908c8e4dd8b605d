import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@cloud-sound/server/testing/database';
import {
  findNginx,
  freePorts,
  type RunningWebNginx,
  startSystem,
  startWebNginx,
} from '@cloud-sound/system';
import { chromiumAvailable, inCi, NO_CHROMIUM_MESSAGE } from './chromium.ts';
import { SCREENSHOT_DIR } from './paths.ts';

/** Each program's output, written when the system stops (Playwright's output folder). */
const LOG_DIR = fileURLToPath(new URL('../test-results/system', import.meta.url));

/**
 * Starts the whole system once for the run, as production starts it, on free ports with
 * temporary data: user_api, file_store, the API (on the run's own Postgres database or embedded
 * PGlite) and the web app, built for this API's URL and served by `vite preview`. Hands the
 * URLs to the tests through the environment (the test workers are started after this and
 * inherit it). Returns the teardown.
 */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (!chromiumAvailable()) {
    console.error(NO_CHROMIUM_MESSAGE);
    if (inCi()) throw new Error('Chromium is missing, and CI needs the end-to-end tests.');
    return undefined; // every test skips itself (see support/test.ts)
  }

  await rm(SCREENSHOT_DIR, { recursive: true, force: true });
  await mkdir(SCREENSHOT_DIR, { recursive: true });

  const started = Date.now();
  const dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-e2e-'));
  const database = await createTestDatabase();
  console.log(`[e2e] database: ${database.url ? 'a fresh Postgres database' : 'embedded PGlite'}`);
  const cleanUp = async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  // The web app runs twice: under `vite preview` (the system's own web program) for the journeys,
  // and behind nginx as production serves it (for Lighthouse). The API lets both call it.
  const [webPort, nginxPort] = (await freePorts(2)) as [number, number];
  const origins = [webPort, nginxPort].map((port) => `http://127.0.0.1:${port}`).join(',');
  let system: Awaited<ReturnType<typeof startSystem>>;
  let nginx: RunningWebNginx | undefined;
  try {
    system = await startSystem({
      dataDir,
      ports: 'free',
      databaseUrl: database.url,
      // The browser, the page and the API all say 127.0.0.1: no name lookup in between.
      publicHost: '127.0.0.1',
      settings: {
        api: { MAX_UPLOAD_BYTES: String(20 * 1024 * 1024), CORS_ORIGINS: origins },
        web: { PORT: String(webPort) },
      },
      // A clean environment: nothing from the caller's shell (PORT, DATABASE_URL…) leaks in.
      environment: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const { web, api } = system.programs;
  try {
    if (findNginx()) {
      nginx = await startWebNginx({
        apiUrl: api.publicUrl,
        port: nginxPort,
        dir: join(dataDir, 'web-nginx'),
      });
    } else if (inCi()) {
      throw new Error("Debian's nginx is missing, and CI needs the Lighthouse audit.");
    } else {
      console.error('[e2e] no nginx (apt-get install nginx): the Lighthouse audit skips');
    }
  } catch (error) {
    await system.stop();
    await cleanUp();
    throw error;
  }
  console.log(
    `[e2e] system up in ${((Date.now() - started) / 1000).toFixed(1)} s: web ${web.publicUrl}, API ${api.publicUrl}`,
  );
  process.env.CLOUD_SOUND_E2E_WEB_URL = web.publicUrl;
  process.env.CLOUD_SOUND_E2E_API_URL = api.publicUrl;
  if (nginx) {
    process.env.CLOUD_SOUND_E2E_NGINX_URL = nginx.url;
    console.log(`[e2e] the production build behind nginx: ${nginx.url}`);
  }

  return async () => {
    const programs = Object.values(system.programs);
    // A program that died during the run explains the failures around it: say so loudly.
    for (const program of programs.filter((each) => !each.isRunning())) {
      console.error(
        `[e2e] ${program.name} EXITED DURING THE RUN; its output: e2e/test-results/system/${program.name}.log`,
      );
    }
    await nginx?.stop();
    await system.stop();
    await mkdir(LOG_DIR, { recursive: true });
    for (const program of programs) {
      await writeFile(join(LOG_DIR, `${program.name}.log`), program.output());
    }
    await cleanUp();
  };
}

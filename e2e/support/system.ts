// The whole of Cloud Sound, started as production starts it, on free ports with temporary data:
// user_api, file_store, the API (on the run's own Postgres database or embedded PGlite) and the
// web app, built for this API's URL and served by `vite preview`.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { API_NODE_FLAGS } from '../../server/src/node-flags.ts';
import { createTestDatabase } from '../../server/test/helpers/database.ts';
import { type Program, runToEnd, startProgram, waitUntilAnswering } from './processes.ts';

const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));
const WEB_DIR = join(REPO_DIR, 'web');
const VITE = join(WEB_DIR, 'node_modules/vite/bin/vite.js');
/** Each program's output, written when the system stops (Playwright's output folder). */
const LOG_DIR = fileURLToPath(new URL('../test-results/system', import.meta.url));

export interface RunningSystem {
  webUrl: string;
  apiUrl: string;
  stop(): Promise<void>;
}

export async function startSystem(say: (line: string) => void): Promise<RunningSystem> {
  const root = await mkdtemp(join(tmpdir(), 'cloud-sound-e2e-'));
  const [userApiPort, fileStorePort, apiPort, webPort] = await distinctFreePorts(4);
  const userApiUrl = `http://127.0.0.1:${userApiPort}`;
  const fileStoreUrl = `http://127.0.0.1:${fileStorePort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  // A clean environment: nothing from the caller's shell (PORT, DATABASE_URL…) leaks in.
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };

  const programs: Program[] = [];
  let web: Promise<void> = Promise.resolve();
  const database = await createTestDatabase();
  const stop = async () => {
    // A program that died during the run explains the failures around it: say so loudly.
    for (const program of programs.filter((each) => each.hasExited())) {
      console.error(
        `[e2e] ${program.name} EXITED DURING THE RUN; its output: e2e/test-results/system/${program.name}.log`,
      );
    }
    await Promise.all(programs.map((program) => program.stop()));
    await mkdir(LOG_DIR, { recursive: true });
    for (const program of programs) {
      await writeFile(join(LOG_DIR, `${program.name}.log`), program.output());
    }
    await database.drop();
    await rm(root, { recursive: true, force: true });
  };

  try {
    say(`database: ${database.url ? 'a fresh Postgres database' : 'embedded PGlite'}`);
    const userApi = startProgram({
      name: 'user_api',
      args: ['backends/user-api/src/main.ts'],
      cwd: REPO_DIR,
      env: { ...base, HOST: '127.0.0.1', PORT: String(userApiPort), DATA_DIR: join(root, 'users') },
    });
    programs.push(userApi);
    const fileStore = startProgram({
      name: 'file_store',
      args: ['backends/file-store/src/main.ts'],
      cwd: REPO_DIR,
      env: {
        ...base,
        HOST: '127.0.0.1',
        PORT: String(fileStorePort),
        DATA_DIR: join(root, 'files'),
      },
    });
    programs.push(fileStore);
    const api = startProgram({
      name: 'api',
      args: [...API_NODE_FLAGS, 'server/src/main.ts'],
      cwd: REPO_DIR,
      env: {
        ...base,
        HOST: '127.0.0.1',
        PORT: String(apiPort),
        DATA_DIR: join(root, 'api'),
        DATABASE_URL: database.url,
        USER_API_URL: userApiUrl,
        FILE_STORE_URL: fileStoreUrl,
        PUBLIC_URL: apiUrl,
        CORS_ORIGINS: webUrl,
        MAX_UPLOAD_BYTES: String(20 * 1024 * 1024),
      },
    });
    programs.push(api);

    const webDist = join(root, 'web-dist');
    web = (async () => {
      await runToEnd({
        name: 'web build',
        args: [VITE, 'build', '--outDir', webDist, '--emptyOutDir', '--logLevel', 'warn'],
        cwd: WEB_DIR,
        env: { ...base, VITE_API_URL: apiUrl, NODE_ENV: 'production' },
      });
      const preview = startProgram({
        name: 'web',
        args: [
          VITE,
          'preview',
          '--host',
          '127.0.0.1',
          '--port',
          String(webPort),
          '--strictPort',
          '--outDir',
          webDist,
        ],
        cwd: WEB_DIR,
        env: { ...base, PORT: String(webPort) },
      });
      programs.push(preview);
      await waitUntilAnswering(webUrl, preview);
    })();

    await Promise.all([
      waitUntilAnswering(`${userApiUrl}/health`, userApi),
      waitUntilAnswering(`${fileStoreUrl}/health`, fileStore),
      // /ready: the database is migrated and both backends answer.
      waitUntilAnswering(`${apiUrl}/ready`, api),
      web,
    ]);
    return { webUrl, apiUrl, stop };
  } catch (error) {
    await web.catch(() => {}); // so that no preview server starts after the stop
    await stop();
    throw error;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await getPort());
  return [...ports];
}

// `pnpm start` as a user runs it: `node system/src/cli/start.ts` as a child process on free
// ports with its own data folder. It must come up, take a user and a sound through the API, stop
// cleanly on Ctrl-C (no program left behind), and find both again on the next start.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { wavTone } from '@cloud-sound/server/testing/audio';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const STOP_LIMIT_MS = 5000;

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves when a line matching `pattern` has been printed; rejects if it exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
}

function startRun(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['system/src/cli/start.ts'], {
    cwd: REPO,
    // The test's own install is the one to use: an install here would race any pnpm command
    // running at the same time in this workspace.
    env: { ...process.env, CLOUD_SOUND_SKIP_INSTALL: '1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let hasExited = false;
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      hasExited = true;
      for (const listener of listeners) listener();
      done(code);
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((done, fail) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`)),
          timeoutMs,
        );
        const check = () => {
          if (pattern.test(output)) finish();
          else if (hasExited) finish(new Error(`start.ts exited first; output:\n${output}`));
        };
        function finish(error?: Error) {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) fail(error);
          else done();
        }
        listeners.add(check);
        check();
      });
    },
  };
}

function canBind(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** Processes (other than us) whose environment carries `marker`: the run's programs. */
async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (environ.includes(marker)) pids.push(pid);
  }
  return pids;
}

/** Sends SIGINT as a terminal's Ctrl-C would and returns how long the exit took. */
async function interrupt(run: Run): Promise<{ code: number | null; ms: number }> {
  const began = performance.now();
  run.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    run.exited,
    new Promise<never>((_, fail) => {
      timer = setTimeout(
        () => fail(new Error(`still running after 10 s:\n${run.output()}`)),
        10_000,
      );
    }),
  ]);
  clearTimeout(timer);
  return { code, ms: performance.now() - began };
}

describe('pnpm start (system/src/cli/start.ts)', () => {
  let dataDir: string;
  let ports: Record<'API__PORT' | 'FILE_STORE__PORT' | 'USER_API__PORT' | 'WEB__PORT', string>;
  const runs: Run[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cloud-sound-start-'));
    ports = {
      API__PORT: String(await getPort()),
      FILE_STORE__PORT: String(await getPort()),
      USER_API__PORT: String(await getPort()),
      WEB__PORT: String(await getPort()),
    };
  });

  afterAll(async () => {
    for (const run of runs) run.child.kill('SIGKILL');
    for (const pid of await processesWith(`CLOUD_SOUND_DATA_DIR=${dataDir}`)) {
      process.kill(pid, 'SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const launch = () => {
    const run = startRun({ ...ports, CLOUD_SOUND_DATA_DIR: dataDir });
    runs.push(run);
    return run;
  };
  const api = () => `http://127.0.0.1:${ports.API__PORT}`;

  it('serves all four, stops on Ctrl-C within 5 s, and keeps users and sounds across a restart', async () => {
    const first = launch();
    await first.waitFor(/Ctrl-C stops everything/, 60_000);
    for (const port of Object.values(ports)) {
      expect(first.output()).toContain(`http://localhost:${port}`);
    }
    // nginx is installed here (as in CI): the gateway takes the API's port and moves the bytes.
    expect(first.output()).toMatch(/one process behind nginx [\d.]+, which moves sounds' bytes/);
    expect((await fetch(`http://127.0.0.1:${ports.WEB__PORT}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.FILE_STORE__PORT}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.USER_API__PORT}/health`)).status).toBe(200);

    const userId = 4_000_000 + Math.floor(Math.random() * 1_000_000);
    const registered = await fetch(`${api()}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: userId }),
    });
    expect(registered.status).toBe(201);

    const wav = wavTone();
    const form = new FormData();
    form.append('title', 'Start test tone');
    form.append('file', new Blob([new Uint8Array(wav)], { type: 'audio/wav' }), 'tone.wav');
    const uploaded = await fetch(`${api()}/sounds`, {
      method: 'POST',
      headers: { 'x-user-id': String(userId) },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const sound = (await uploaded.json()) as { id: string; size: number };
    expect(sound.size).toBe(wav.length);

    const listed = (await (await fetch(`${api()}/sounds?limit=50`)).json()) as {
      items: { id: string }[];
    };
    expect(listed.items.map((item) => item.id)).toContain(sound.id);
    // The orphan check below can see the programs: start.ts and its four children.
    expect((await processesWith(`CLOUD_SOUND_DATA_DIR=${dataDir}`)).length).toBeGreaterThanOrEqual(
      5,
    );

    const stopped = await interrupt(first);
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(STOP_LIMIT_MS);
    for (const port of Object.values(ports)) expect(await canBind(Number(port))).toBe(true);
    expect(await processesWith(`CLOUD_SOUND_DATA_DIR=${dataDir}`)).toEqual([]);

    const second = launch();
    await second.waitFor(/Ctrl-C stops everything/, 60_000);
    const again = (await (await fetch(`${api()}/sounds?userId=${userId}`)).json()) as {
      items: { id: string; title: string }[];
    };
    expect(again.items.map((item) => [item.id, item.title])).toEqual([
      [sound.id, 'Start test tone'],
    ]);
    const audio = await fetch(`${api()}/sounds/${sound.id}/audio`);
    expect(Buffer.from(await audio.arrayBuffer()).equals(wav)).toBe(true);
    expect((await fetch(`${api()}/me`, { headers: { 'x-user-id': String(userId) } })).status).toBe(
      200,
    );

    const stoppedAgain = await interrupt(second);
    expect(stoppedAgain.code).toBe(0);
    expect(stoppedAgain.ms).toBeLessThan(STOP_LIMIT_MS);
    expect(await processesWith(`CLOUD_SOUND_DATA_DIR=${dataDir}`)).toEqual([]);
  }, 120_000);

  it('names the busy port and the setting that changes it, and exits non-zero', async () => {
    const squatter: Server = createServer();
    const busyPort = await getPort();
    await new Promise<void>((done) => squatter.listen(busyPort, '127.0.0.1', done));
    try {
      const run = startRun({
        ...ports,
        CLOUD_SOUND_DATA_DIR: dataDir,
        API__PORT: String(busyPort),
      });
      runs.push(run);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`port ${busyPort} (the API) is already in use`);
      expect(run.output()).toContain('API__PORT=<port>');
    } finally {
      await new Promise((done) => squatter.close(done));
    }
  });

  it('stops with a message naming a wrong setting', async () => {
    const run = startRun({ ...ports, CLOUD_SOUND_DATA_DIR: dataDir, WEB__PORT: 'eighty' });
    runs.push(run);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('WEB__PORT is "eighty"');
  });

  it.each([
    [
      'a setting the program does not have',
      { API__FOO: '1' },
      'API__FOO: the API has no setting FOO',
    ],
    [
      'a value the program refuses',
      { FILE_STORE__MAX_FILE_BYTES: 'lots' },
      'FILE_STORE__MAX_FILE_BYTES',
    ],
    [
      'a variable of the old launcher',
      { API_PORT: '9000' },
      'API_PORT is not read any more: use API__PORT',
    ],
    [
      'replicas without Postgres',
      { API_REPLICAS: '2' },
      'API_REPLICAS=2 needs a Postgres server (DATABASE_URL)',
    ],
    [
      'more replicas than one machine runs',
      { API_REPLICAS: '17', DATABASE_URL: 'postgres://127.0.0.1/cloud' },
      'API_REPLICAS is 17; it must be a whole number from 1 to 16',
    ],
  ])('stops with a message naming %s', async (_what, env, message) => {
    const run = startRun({ ...ports, CLOUD_SOUND_DATA_DIR: dataDir, ...env });
    runs.push(run);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(message);
  });
});

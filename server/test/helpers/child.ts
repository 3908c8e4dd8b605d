import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { API_NODE_FLAGS } from '../../src/node-flags.ts';
import { wavHeader } from './audio.ts';

export { type Backends, startBackends } from './backends.ts';

/**
 * Helpers for tests that drive the API from outside: the API as a real child process (so it
 * can be killed, signalled and measured), its two backends in-process, and big streamed
 * uploads that are never held in memory whole.
 */

const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The API running as `node src/main.ts`, exactly as production starts it. */
export interface ChildApi {
  url: string;
  port: number;
  pid: number;
  process: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<ChildExit>;
  /** Everything it wrote to stdout and stderr so far (pino JSON lines). */
  output(): string;
  /** Resolves with the first log line (parsed) that `match` accepts. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<void>;
  /** Sends `signal` unless it has exited; resolves when it has. */
  stop(signal?: NodeJS.Signals): Promise<ChildExit>;
}

const running = new Set<ChildApi>();
// Should the test worker exit before its afterAll/afterEach ran, take the APIs along.
process.once('exit', () => {
  for (const api of running) api.process.kill('SIGKILL');
});

/**
 * Starts the API on a free port with `env` (on top of a quiet, test-friendly base) and waits
 * for GET /health. Throws, with its output, if it exits or does not come up in time.
 */
export async function spawnApi(env: Record<string, string | undefined>): Promise<ChildApi> {
  const port = await getPort();
  const fullEnv: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: 'http://cloud-sound.test',
    LOG_LEVEL: 'info',
    RATE_LIMIT_USER_CREATIONS: '1000000',
    RATE_LIMIT_UPLOADS: '1000000',
    RATE_LIMIT_FAILED_IDENTITY_CHECKS: '1000000',
    CLIENT_MAX_UPLOADS: '1000000',
    CLIENT_MAX_PLAYBACKS: '1000000',
    ...env,
  };
  const child = spawn(process.execPath, [...API_NODE_FLAGS, 'src/main.ts'], {
    cwd: SERVER_DIR,
    // Unset entries stay unset (a child would otherwise see the string "undefined").
    env: Object.fromEntries(Object.entries(fullEnv).filter(([, value]) => value !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    // Enough to debug a failure; the start of the log is the useful part.
    if (output.length < 4_000_000) output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const listener of listeners) listener();
  });

  const api: ChildApi = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    process: child,
    exited,
    output: () => output,
    waitForLog(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of output.split('\n')) {
            if (!line.startsWith('{')) continue;
            try {
              if (match(JSON.parse(line))) return finish();
            } catch {
              // a line still being written
            }
          }
          if (hasExited) finish(new Error(`the API exited first; its output:\n${output}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`no such log line within ${timeoutMs} ms; output:\n${output}`)),
          timeoutMs,
        );
        function finish(error?: Error) {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        }
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGKILL') {
      if (!hasExited) child.kill(signal);
      const exit = await exited;
      running.delete(api);
      return exit;
    },
  };
  running.add(api);

  const deadline = Date.now() + 30_000;
  while (!hasExited) {
    const healthy = await fetch(`${api.url}/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) return api;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  await api.stop('SIGKILL');
  throw new Error(`the API did not come up; its output:\n${output}`);
}

/** Kills (SIGKILL) every API child still running; for afterEach/afterAll. */
export async function killAllApis(): Promise<void> {
  await Promise.all([...running].map((api) => api.stop('SIGKILL')));
}

/** The resident set size of a process, in bytes, from /proc (Linux). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Whether a fresh TCP connection to the port is refused (nobody listening). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(error.code === 'ECONNREFUSED');
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true; throws after `timeoutMs` with `what` in the message. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Bytes of uploads file_store is still receiving (its temp folder), largest first. */
export async function fileStoreTempBytes(fileStoreDataDir: string): Promise<number[]> {
  const dir = join(fileStoreDataDir, 'tmp');
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(
    names.map((name) =>
      stat(join(dir, name))
        .then((stats) => stats.size)
        .catch(() => 0),
    ),
  );
  return sizes.sort((a, b) => b - a);
}

export interface StreamedUpload {
  /** The API's answer; rejects when the request itself fails (reset, abort). */
  response: Promise<Response>;
  /**
   * What `beforeChunk` threw, if anything (a failed check inside it). The response then
   * rejects with it too, but a test that expects the request to fail must look here.
   */
  hookError(): unknown;
  /** Bytes of the file handed to the connection so far. */
  sentBytes(): number;
  /** SHA-256 of the whole file (as it would be sent in full), hex. */
  fileSha256: string;
  fileBytes: number;
}

const ZEROS = new Uint8Array(1024 * 1024);

/**
 * POST /sounds with a generated WAV of `dataBytes` bytes of silence, sent as a streamed
 * multipart body in `chunkBytes` pieces: the body is produced as the connection takes it,
 * never held whole. `beforeChunk` runs (and is awaited) before each piece, with the file bytes
 * sent so far: tests slow the upload down or inject a fault at a chosen point with it.
 */
export function streamWavUpload(
  baseUrl: string,
  options: {
    userId: number;
    dataBytes: number;
    chunkBytes?: number;
    filename?: string;
    signal?: AbortSignal;
    beforeChunk?: (sentBytes: number) => void | Promise<void>;
  },
): StreamedUpload {
  const { dataBytes, chunkBytes = 64 * 1024, filename = 'big.wav' } = options;
  if (chunkBytes > ZEROS.length) throw new Error('chunkBytes is at most 1 MiB');
  const header = wavHeader(dataBytes);
  const fileBytes = header.length + dataBytes;
  const boundary = `----cloud-sound-test-${Math.random().toString(16).slice(2)}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      'Content-Type: audio/wav\r\n\r\n',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);

  let sent = 0;
  let finished = false;
  let hookError: unknown;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return;
      try {
        await options.beforeChunk?.(sent);
      } catch (error) {
        hookError = error;
        throw error;
      }
      if (sent === 0) {
        controller.enqueue(Buffer.concat([preamble, header]));
        sent = header.length;
        return;
      }
      const remaining = fileBytes - sent;
      if (remaining === 0) {
        controller.enqueue(epilogue);
        controller.close();
        finished = true;
        return;
      }
      const size = Math.min(chunkBytes, remaining);
      controller.enqueue(ZEROS.subarray(0, size));
      sent += size;
    },
  });

  const response = fetch(`${baseUrl}/sounds`, {
    method: 'POST',
    headers: {
      'x-user-id': String(options.userId),
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    body,
    duplex: 'half',
    signal: options.signal,
  } as RequestInit).then(
    (answer) => {
      if (hookError) throw hookError;
      return answer;
    },
    (error: unknown) => {
      throw hookError ?? error;
    },
  );
  // The caller may only look at the answer later; never leave the rejection unhandled.
  response.catch(() => {});

  return {
    response,
    hookError: () => hookError,
    sentBytes: () => sent,
    fileSha256: silentWavSha256(header, dataBytes),
    fileBytes,
  };
}

/** SHA-256 of a WAV header followed by `dataBytes` zero bytes. */
function silentWavSha256(header: Buffer, dataBytes: number): string {
  const hash = createHash('sha256').update(header);
  for (let left = dataBytes; left > 0; left -= ZEROS.length) {
    hash.update(ZEROS.subarray(0, Math.min(ZEROS.length, left)));
  }
  return hash.digest('hex');
}

/** Reads a response body to its end, hashing it without keeping it. */
export async function sha256OfBody(response: Response): Promise<{ sha256: string; bytes: number }> {
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  }
  return { sha256: hash.digest('hex'), bytes };
}

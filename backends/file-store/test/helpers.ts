import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, onTestFinished } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

export interface RunningStore {
  url: string;
  /** The test's own folder; DATA_DIR is `root/data`, so siblings of DATA_DIR live here too. */
  root: string;
  dataDir: string;
}

/** A fresh temp folder removed after the current test. */
export async function makeTempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'file-store-test-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  return root;
}

/** Starts the real app on a free port with its own DATA_DIR; it stops after the test. */
export async function startFileStore(
  env: Record<string, string> = {},
  root?: string,
): Promise<RunningStore> {
  const testRoot = root ?? (await makeTempRoot());
  const dataDir = join(testRoot, 'data');
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const app = await buildApp(config, { logger: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  onTestFinished(async () => {
    const closing = app.close();
    // The test is over: also drop connections a client opened but never used (undici opens
    // one after an aborted request), which a graceful close would wait out.
    app.server.closeAllConnections();
    await closing;
  });
  return { url, root: testRoot, dataDir };
}

/** Uploads the given files (id → bytes) in one multipart request, as a browser form would. */
export function upload(
  url: string,
  files: Record<string, Uint8Array | string>,
  path = '/files/',
): Promise<Response> {
  const form = new FormData();
  for (const [id, content] of Object.entries(files)) {
    form.append(id, new Blob([content]), 'upload.bin');
  }
  return fetch(`${url}${path}`, { method: 'POST', body: form });
}

/** Stores `files` (id → bytes), at most 100 parts a request (file_store's limit). */
export async function store(url: string, files: Array<[string, Uint8Array]>): Promise<void> {
  for (let start = 0; start < files.length; start += 100) {
    const response = await upload(url, Object.fromEntries(files.slice(start, start + 100)));
    expect(response.status).toBe(201);
  }
}

/** `POST /compose` with `body` (JSON unless it is a string already). */
export function compose(url: string, body: unknown, contentType = 'application/json') {
  return fetch(`${url}/compose`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The request path of a file. Dots are escaped too, and the path must be sent as it is (see
 * rawRequest): URL parsers, fetch's included, drop "." and ".." segments even as %2E.
 */
export function filePath(id: string): string {
  return `/files/${encodeURIComponent(id).replaceAll('.', '%2E')}`;
}

export async function download(url: string, id: string): Promise<Buffer> {
  const response = await rawRequest(url, 'GET', filePath(id));
  if (response.status !== 200) throw new Error(`GET ${JSON.stringify(id)}: ${response.status}`);
  return response.body;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An HTTP request whose path is sent exactly as given (fetch would resolve "../"). */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function tempFiles(dataDir: string): Promise<string[]> {
  return readdir(join(dataDir, 'tmp'));
}

export function storedFiles(dataDir: string): Promise<string[]> {
  return readdir(join(dataDir, 'files'));
}

/** Every path under `dir`, relative and sorted. */
export async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

/** Polls `condition` until it holds; fails the test after `timeoutMs`. */
export async function waitFor(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Bytes 0..250 repeating: a recognizable pattern for checking ranges. */
export function patternBytes(length: number, seed = 0): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (index + seed) % 251));
}

/** The stable `code` of a JSON error reply. */
export async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { code: string }).code;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { onTestFinished } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

export interface RunningApp {
  app: FastifyInstance;
  url: string;
  dataDir: string;
}

/** A fresh temp DATA_DIR, removed when the test finishes. */
export async function makeDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'user-api-test-'));
  onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/** The production app on a free port, closed when the test finishes (closing twice is fine). */
export async function startApp(dataDir?: string): Promise<RunningApp> {
  const dir = dataDir ?? (await makeDataDir());
  const config = loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0' });
  const app = await buildApp(config, { logger: false });
  onTestFinished(() => app.close());
  const url = await app.listen({ host: config.HOST, port: config.PORT });
  return { app, url, dataDir: dir };
}

export function postUser(url: string, body: string, contentType = 'application/json') {
  return fetch(`${url}/user`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

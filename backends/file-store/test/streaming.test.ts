import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeTempRoot, storedFiles, tempFiles, waitFor } from './helpers.ts';

const MiB = 1024 * 1024;
const FILE_MIB = 200;
const MAX_RSS_GROWTH = 64 * MiB;
const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** VmRSS (now) and VmHWM (peak so far) of a process, in bytes. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** The file-store as its own process (`node src/main.ts`), so its RSS is its alone. */
async function startFileStoreProcess(
  dataDir: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await getPort();
  const child = spawn(process.execPath, [mainPath], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  onTestFinished(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true,
    'health',
  );
  return { url, child };
}

/** A multipart body with one file part of `mebibytes` MiB, generated chunk by chunk. */
function multipartStream(
  id: string,
  mebibytes: number,
  boundary: string,
  hash: ReturnType<typeof createHash>,
) {
  const block = randomBytes(MiB);
  async function* generate() {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${id}"; filename="big.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    for (let index = 0; index < mebibytes; index++) {
      const chunk = Buffer.from(block); // a fresh copy each time: the test keeps no body either
      chunk.writeUInt32BE(index, 0);
      hash.update(chunk);
      yield chunk;
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  return Readable.from(generate());
}

async function uploadStreamed(url: string, id: string, mebibytes: number): Promise<string> {
  const boundary = 'streaming-test-boundary';
  const hash = createHash('sha256');
  const { hostname, port } = new URL(url);
  const request = httpRequest({
    host: hostname,
    port,
    method: 'POST',
    path: '/files/',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const responded = once(request, 'response');
  await pipeline(multipartStream(id, mebibytes, boundary, hash), request);
  const [response] = (await responded) as [import('node:http').IncomingMessage];
  response.resume();
  expect(response.statusCode).toBe(201);
  return hash.digest('hex');
}

async function downloadHashed(
  url: string,
  id: string,
): Promise<{ hash: string; length: string | null }> {
  const response = await fetch(`${url}/files/${id}`);
  expect(response.status).toBe(200);
  const hash = createHash('sha256');
  for await (const chunk of response.body ?? []) hash.update(chunk);
  return { hash: hash.digest('hex'), length: response.headers.get('content-length') };
}

describe('streaming', () => {
  it(`moves a ${FILE_MIB} MiB file both ways with RSS growth under 64 MiB`, async () => {
    const dataDir = join(await makeTempRoot(), 'data');
    const { url, child } = await startFileStoreProcess(dataDir);
    const pid = child.pid ?? 0;

    const atStart = await memoryOf(pid);
    // Warm up with a 16 MiB round trip first, so the baseline includes loaded code and V8's
    // steady state for streaming: garbage chunk buffers are external memory, which V8 lets
    // reach tens of MiB before it collects, whatever the file size.
    await uploadStreamed(url, 'warm-up', 16);
    await downloadHashed(url, 'warm-up');
    const before = await memoryOf(pid);

    const sentHash = await uploadStreamed(url, 'big', FILE_MIB);
    const received = await downloadHashed(url, 'big');
    const after = await memoryOf(pid);

    expect(received.length).toBe(String(FILE_MIB * MiB));
    expect(received.hash).toBe(sentHash);
    expect(await storedFiles(dataDir)).toHaveLength(2);
    expect(await tempFiles(dataDir)).toEqual([]);

    const growth = after.peak - before.rss;
    const inMiB = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    console.info(
      `file-store RSS: at start ${inMiB(atStart.rss)}, after warm-up ${inMiB(before.rss)}, ` +
        `peak ${inMiB(after.peak)}, after ${inMiB(after.rss)}; ` +
        `growth ${inMiB(growth)} for ${FILE_MIB} MiB up and down`,
    );
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
  });
});

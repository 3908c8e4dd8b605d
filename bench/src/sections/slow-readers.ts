// 10. Slow readers: clients that ask for audio and never read it, from many addresses, and what
// another client then gets for its playback, upload and listing: through the gateway (nginx
// holds the stalled transfers) and to the API alone (the API holds them).
import { connect, type Socket } from 'node:net';
import { download, uploadWav } from '../http.ts';
import { fixed, percentile, sizeLabel } from '../table.ts';
import { type BenchContext, errorCell, type SectionReport } from './context.ts';

/** The addresses the stalled clients come from: 127.0.1.10 and on (all loopback on Linux). */
const firstAddress = 10;
/** A small upload, the other client's (a WAV the decoder takes). */
const SMALL_UPLOAD_BYTES = 64 * 1024;

interface Timing {
  kind: 'playback' | 'upload' | 'listing';
  ms: number;
  status: number;
}

export async function runSlowReadersSection(context: BenchContext): Promise<SectionReport> {
  const { plan, system, userId } = context;
  const title = `10. Slow readers (${plan.slowReaders} connections from ${plan.slowReaderAddresses} addresses ask for a ${sizeLabel(plan.slowReaderFileBytes)} file and never read)`;
  const header = ['path', 'request', 'count', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'];
  const rows: (string | number)[][] = [];
  const user = { 'x-user-id': String(userId) };

  const upload = (url: string, bytes: number) =>
    uploadWav(`${url}/sounds`, { field: 'file', totalBytes: bytes, headers: user });
  const big = JSON.parse((await upload(system.urls.api, plan.slowReaderFileBytes)).text) as {
    id: string;
  };
  const small = JSON.parse((await upload(system.urls.api, SMALL_UPLOAD_BYTES)).text) as {
    id: string;
  };

  const paths = [
    ...(system.gateway ? [['through the gateway', system.urls.api]] : []),
    ['to the API alone', system.urls.apiAlone],
  ] as const;
  for (const [path, baseUrl] of paths) {
    const stalled = stallReaders(baseUrl, `/sounds/${big.id}/audio`, plan);
    try {
      // Past the first burst (every stalled request answered, its connection's buffers filled):
      // what the other client meets is clients that stay stalled.
      await new Promise((resolve) => setTimeout(resolve, plan.slowReaderSettleMs));
      const timings: Timing[] = [];
      const timed = async (kind: Timing['kind'], request: () => Promise<{ status: number }>) => {
        const began = performance.now();
        const { status } = await request();
        timings.push({ kind, status, ms: performance.now() - began });
      };
      for (let round = 0; round < plan.slowReaderRounds; round++) {
        await timed('playback', () => download(`${baseUrl}/sounds/${small.id}/audio`));
        await timed('upload', () => upload(baseUrl, SMALL_UPLOAD_BYTES));
        await timed('listing', () => download(`${baseUrl}/sounds?limit=50`));
      }
      for (const kind of ['playback', 'upload', 'listing'] as const) {
        const mine = timings.filter((timing) => timing.kind === kind);
        const ms = mine.map((timing) => timing.ms);
        rows.push([
          path,
          kind,
          mine.length,
          fixed(percentile(ms, 50), 0),
          fixed(percentile(ms, 99), 0),
          fixed(Math.max(...ms), 0),
          mine.filter((timing) => timing.status >= 300).length,
          0,
        ]);
      }
    } catch (error) {
      rows.push([path, errorCell(error), '', '', '', '', '', 1]);
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  }
  return {
    title,
    header,
    rows,
    notes: [
      `One other client, one request at a time: ${plan.slowReaderRounds} rounds of a playback (a ${sizeLabel(SMALL_UPLOAD_BYTES)} file read whole), an upload (${sizeLabel(SMALL_UPLOAD_BYTES)}, with its ffprobe check) and a listing page; non-2xx counts 503s (a pool or queue full) and any other refusal.`,
      'Through the gateway, nginx reads ahead of each stalled client (half a MiB in memory) and file_store waits on its socket; the API is done with each as soon as it has answered. To the API alone, each stalled client holds one of its file_store playback connections (FILE_STORE_PLAYBACK_CONNECTIONS, 64) until it reads or goes.',
    ],
  };
}

/** Connections that ask for `path` and then read nothing, from the plan's many addresses. */
function stallReaders(baseUrl: string, path: string, plan: BenchContext['plan']): Socket[] {
  const { hostname, port } = new URL(baseUrl);
  return Array.from({ length: plan.slowReaders }, (_, index) => {
    const socket = connect({
      host: hostname,
      port: Number(port),
      localAddress: `127.0.1.${firstAddress + (index % plan.slowReaderAddresses)}`,
    });
    socket.on('error', () => {});
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
    socket.pause();
    return socket;
  });
}

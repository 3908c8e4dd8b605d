// 2. Playback: the largest uploaded file read whole and as random Range requests, through the
// gateway (the API authorizes, nginx fetches from file_store), from the API alone (it streams
// the bytes itself), straight from file_store, and from Debian's nginx serving the same bytes
// from disk.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { download, MB, mbPerSecond } from '../http.ts';
import { startStaticNginx } from '../nginx.ts';
import { withCpu } from '../proc.ts';
import { fixed, median, percent, sizeLabel } from '../table.ts';
import { wavChunks } from '../wav.ts';
import { type BenchContext, errorCell, type SectionReport } from './context.ts';
import type { UploadedFiles } from './upload.ts';

interface Target {
  name: string;
  url: string;
}

interface Rates {
  full: number;
  ranges: number;
  /** CPU ms per MB served, of the API and of file_store (whole reads, ranges). */
  cpuFull: Record<string, number>;
  cpuRanges: Record<string, number>;
}

export async function runPlaybackSection(
  context: BenchContext,
  files: UploadedFiles | undefined,
): Promise<SectionReport> {
  const { plan, system, workDir } = context;
  const title = '2. Playback (GET whole file and random Range requests)';
  const header = [
    'served by',
    'whole file MB/s',
    '÷ file_store',
    '÷ nginx',
    `${plan.rangeCount} × ${sizeLabel(plan.rangeBytes)} ranges MB/s`,
    '÷ file_store',
    '÷ nginx',
    'API CPU ms/MB: whole, ranges',
    'file_store CPU ms/MB: whole, ranges',
    'errors',
  ];
  if (!files) {
    return {
      title,
      header,
      rows: [['all', errorCell('no uploaded file to play'), '', '', '', '', '', '', '', 1]],
      notes: [],
    };
  }

  const nginxRoot = join(workDir, 'nginx-root');
  await mkdir(nginxRoot, { recursive: true });
  await pipeline(
    Readable.from(wavChunks(files.size)),
    createWriteStream(join(nginxRoot, 'bench.wav')),
  );
  const nginx = await startStaticNginx({
    root: nginxRoot,
    workDir,
    install: plan.installNginx,
    probePath: '/bench.wav',
  });

  const audioPath = `/sounds/${files.soundId}/audio`;
  const targets: Target[] = [
    ...(system.gateway
      ? [{ name: 'gateway (X-Accel-Redirect)', url: `${system.urls.api}${audioPath}` }]
      : []),
    { name: 'API alone (streams)', url: `${system.urls.apiAlone}${audioPath}` },
    {
      name: 'file_store GET /files/:id',
      url: `${system.urls.file_store}/files/${encodeURIComponent(files.fileStoreId)}`,
    },
  ];
  if ('url' in nginx) targets.push({ name: 'nginx (sendfile)', url: `${nginx.url}/bench.wav` });

  const serverPids = { api: system.programs.api.pid, fileStore: system.programs.file_store.pid };
  const offsets = randomOffsets(plan.rangeCount, files.size - plan.rangeBytes);
  const rates = new Map<string, Rates | Error>();
  try {
    const full = new Map<string, number[]>(targets.map((target) => [target.name, []]));
    const fullCpu = new Map<string, Record<string, number>>();
    // Round-robin, so a change in the machine's load hits every target alike.
    for (let run = 0; run < plan.fullReads; run++) {
      for (const target of targets) {
        if (rates.get(target.name) instanceof Error) continue;
        try {
          const { result: reply, cpu } = await withCpu(serverPids, () => download(target.url));
          fullCpu.set(target.name, added(fullCpu.get(target.name) ?? {}, cpu));
          if (reply.status !== 200 || reply.bytes !== files.size) {
            throw new Error(`answered ${reply.status} with ${reply.bytes} of ${files.size} bytes`);
          }
          full.get(target.name)?.push(mbPerSecond(reply));
        } catch (error) {
          rates.set(target.name, error as Error);
        }
      }
    }
    for (const target of targets) {
      if (rates.get(target.name) instanceof Error) continue;
      try {
        const ranges = await withCpu(serverPids, () =>
          readRanges(target.url, offsets, plan.rangeBytes),
        );
        rates.set(target.name, {
          full: median(full.get(target.name) ?? []),
          ranges: ranges.result,
          cpuFull: scaled(fullCpu.get(target.name) ?? {}, 1 / ((files.size * plan.fullReads) / MB)),
          cpuRanges: scaled(ranges.cpu, 1 / ((plan.rangeBytes * plan.rangeCount) / MB)),
        });
      } catch (error) {
        rates.set(target.name, error as Error);
      }
    }
  } finally {
    if ('stop' in nginx) await nginx.stop();
  }

  const base = (name: string) => {
    const rate = rates.get(name);
    return rate instanceof Error || !rate ? undefined : rate;
  };
  const store = base('file_store GET /files/:id');
  const ngx = base('nginx (sendfile)');
  const rows = targets.map((target) => {
    const rate = rates.get(target.name);
    if (!rate || rate instanceof Error) {
      return [target.name, errorCell(rate), '', '', '', '', '', '', '', 1];
    }
    // nginx's CPU is not sampled (its worker is a grandchild); the two Node servers' is.
    const cpu = (process: 'api' | 'fileStore') =>
      target.name.startsWith('nginx')
        ? 'n/a'
        : `${fixed(rate.cpuFull[process] ?? 0, 2)}, ${fixed(rate.cpuRanges[process] ?? 0, 2)}`;
    return [
      target.name,
      fixed(rate.full),
      store ? percent(rate.full / store.full) : 'n/a',
      ngx ? percent(rate.full / ngx.full) : 'n/a',
      fixed(rate.ranges),
      store ? percent(rate.ranges / store.ranges) : 'n/a',
      ngx ? percent(rate.ranges / ngx.ranges) : 'n/a',
      cpu('api'),
      cpu('fileStore'),
      0,
    ];
  });
  if ('unavailable' in nginx)
    rows.push(['nginx', `not measured: ${nginx.unavailable}`, '', '', '', '', '', '', '', 0]);

  return {
    title,
    header,
    rows,
    notes: [
      'Through the gateway the API only looks the sound up and answers with headers and `X-Accel-Redirect`; nginx fetches the bytes from file_store (its CPU is not sampled: its worker is a grandchild).',
      `The ${sizeLabel(files.size)} file uploaded in section 1. Whole file: median of ${plan.fullReads} GET(s), a fresh connection each. Ranges: the same ${plan.rangeCount} random offsets for every server, one after another over one keep-alive connection; MB/s counts body bytes.`,
      'url' in nginx
        ? `nginx: ${nginx.version}, 1 worker, sendfile on, access_log off, the same bytes in a file on the same disk.`
        : `nginx: ${nginx.unavailable}.`,
    ],
  };
}

async function readRanges(url: string, offsets: number[], length: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const began = performance.now();
    let bytes = 0;
    for (const offset of offsets) {
      const reply = await download(url, { agent, range: [offset, offset + length - 1] });
      if (reply.status !== 206 || reply.bytes !== length) {
        throw new Error(`range answered ${reply.status} with ${reply.bytes} of ${length} bytes`);
      }
      bytes += reply.bytes;
    }
    return mbPerSecond({ bytes, ms: performance.now() - began });
  } finally {
    agent.destroy();
  }
}

/** The same "random" offsets on every run (a fixed seed), so runs compare. */
function randomOffsets(count: number, maxOffset: number): number[] {
  let state = 0x5eed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => Math.floor(next() * (maxOffset + 1)));
}

function added(total: Record<string, number>, more: Record<string, number>) {
  const sum = { ...total };
  for (const [key, value] of Object.entries(more)) sum[key] = (sum[key] ?? 0) + value;
  return sum;
}

function scaled(cpu: Record<string, number>, factor: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu).map(([key, value]) => [key, value * factor]));
}

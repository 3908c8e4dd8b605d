// 12. Resumable uploads: the same WAV file sent as a multipart `POST /sounds` and as a tus
// upload (`/uploads`) in the web app's chunks and in one PATCH (tus-js-client's default), in
// turn on one system, each timed from its first byte to the published sound; the API's peak RSS
// for each. Every request of a tus upload is timed on its own: the last PATCH also composes the
// parts in file_store, judges the file and publishes it.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findNginx } from '@cloud-sound/system';
import { type AudioFile, uploadFile } from '../audio-files.ts';
import { registerCleanup } from '../cleanup.ts';
import { getJson, MB, mbPerSecond } from '../http.ts';
import { resetPeakRss, statusMiB, withCpu } from '../proc.ts';
import { type BenchSystem, startBenchSystem } from '../system.ts';
import { fixed, median, percent, sizeLabel } from '../table.ts';
import { type TusTransfer, uploadResumable } from '../tus.ts';
import { writeWavFile } from '../wav.ts';
import { errorCell, type OwnSystemsContext, type SectionReport } from './context.ts';

/** 96 kHz mono 16-bit: a GiB of it is 93 minutes, within the API's MAX_DURATION_MS (3 h). */
const FORMAT = { sampleRate: 96_000, channels: 1 };

const HEADER = [
  'file',
  'way',
  'requests',
  'MB/s median',
  's median',
  '÷ multipart',
  's in POST, other PATCHes, last PATCH (median)',
  'PATCH ms each, not the last (median)',
  'API RSS before MiB',
  'API peak RSS MiB',
  'CPU ms/MB: client, API, file_store',
  'errors',
];

interface Way {
  label: string;
  /** undefined: multipart `POST /sounds`; Infinity: tus in one PATCH. */
  chunkBytes: number | undefined;
}

/** One upload, whichever way it went. */
interface Sent {
  ms: number;
  soundId: string;
  /** tus only: the upload's requests. */
  tus?: TusTransfer;
}

interface WayResults {
  sent: Sent[];
  rssBefore: number[];
  peaks: number[];
  /** CPU ms each process spent on this way's uploads, all rounds together. */
  cpu: { client: number; api: number; fileStore: number };
  error?: unknown;
}

export async function runResumableSection(context: OwnSystemsContext): Promise<SectionReport> {
  const { plan } = context;
  const title =
    '12. Resumable uploads (tus `/uploads` in chunks and in one PATCH vs multipart `POST /sounds`, in turn on one system)';
  const ways: Way[] = [
    { label: 'multipart POST /sounds', chunkBytes: undefined },
    {
      label: `tus, ${sizeLabel(plan.resumableChunkBytes)} PATCHes`,
      chunkBytes: plan.resumableChunkBytes,
    },
    { label: 'tus, one PATCH', chunkBytes: Number.POSITIVE_INFINITY },
  ];
  const dir = join(context.workDir, 'resumable-audio');
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  let running: { system: BenchSystem; stop(): Promise<void> } | undefined;
  try {
    // The files are written before the system starts, so writing them competes with nothing.
    await mkdir(dir, { recursive: true });
    const files = new Map<number, AudioFile>();
    const madeBegan = performance.now();
    for (const size of new Set([...plan.resumableSizes, plan.uploadWarmupBytes])) {
      if (size === 0) continue;
      files.set(size, await makeFile(dir, size));
    }
    const madeSeconds = (performance.now() - madeBegan) / 1000;

    running = await startSystem(context);
    const { system } = running;
    const userId = 8_000_000 + Math.floor(Math.random() * 1_000_000);
    await getJson(`${system.urls.api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: userId }),
    });
    const headers = { 'x-user-id': String(userId) };
    const apiPid = system.programs.api.pid;
    const pids = { client: process.pid, api: apiPid, fileStore: system.programs.file_store.pid };
    let peakResettable = true;

    const warmUp = files.get(plan.uploadWarmupBytes);
    if (warmUp) {
      for (const way of ways) {
        const sent = await send(system.urls.api, warmUp, way, headers);
        await deleteSound(system.urls.api, sent.soundId, headers);
      }
    }

    for (const size of plan.resumableSizes) {
      const file = files.get(size) as AudioFile;
      const results = new Map<Way, WayResults>(
        ways.map((way) => [
          way,
          { sent: [], rssBefore: [], peaks: [], cpu: { client: 0, api: 0, fileStore: 0 } },
        ]),
      );
      // Each round sends the file every way, in turn, so a change in the machine's load hits
      // all of them alike.
      for (let run = 0; run < plan.resumableRuns; run++) {
        for (const way of ways) {
          const result = results.get(way) as WayResults;
          if (result.error !== undefined) continue;
          try {
            result.rssBefore.push(statusMiB(apiPid, 'VmRSS'));
            peakResettable = resetPeakRss(apiPid) && peakResettable;
            const sent = await withCpu(pids, () => send(system.urls.api, file, way, headers));
            result.peaks.push(statusMiB(apiPid, 'VmHWM'));
            result.sent.push(sent.result);
            for (const name of ['client', 'api', 'fileStore'] as const) {
              result.cpu[name] += sent.cpu[name] ?? 0;
            }
            await deleteSound(system.urls.api, sent.result.soundId, headers);
          } catch (error) {
            result.error = error;
          }
        }
      }
      const multipart = results.get(ways[0] as Way) as WayResults;
      const multipartRate = rate(multipart, size);
      for (const way of ways) {
        rows.push(row(size, way, results.get(way) as WayResults, multipartRate));
      }
    }

    notes.push(
      `Each file: a ${FORMAT.sampleRate / 1000} kHz mono 16-bit PCM WAV (a 44-byte header, then one random MiB over and over), written to the scratch folder in ${fixed(madeSeconds, 0)} s before the system started and sent from there; multipart as section 1 sends it (one part, exact Content-Length, a fresh connection), tus as tus-js-client does (\`POST /uploads\` with Upload-Length and the filename, then PATCHes one after another on one kept-alive connection, each body streamed from the file).`,
      `${plan.resumableRuns} round(s), each sending the file every way in turn, after ${warmUp ? `one unreported ${sizeLabel(plan.uploadWarmupBytes)} upload each way` : 'no warm-up'}; the median counts. MB = 10^6 bytes. Time: from the first byte of the first request to the answer that names the sound (multipart: the 201; tus: the last PATCH's 204 with \`Sound-Id\`); the sound is then deleted (\`DELETE /sounds/:id\`, not timed) so quota and disk stay free.`,
      `A system of its own (${system.gateway ? `through the nginx gateway (${system.gateway.version}), as \`pnpm start\` runs it` : 'the API alone: nginx is not installed'}; the API with MAX_UPLOAD_BYTES=${MAX_UPLOAD_BYTES} so a multipart upload of the largest file is allowed, PROCESSING_CONCURRENCY=0 so no ffmpeg job runs beside the uploads). The last PATCH carries its chunk, then the API has file_store compose the parts into one file (\`POST /compose\`), reads its head, has ffprobe judge it and publishes it, and removes the parts, before it answers.`,
      `API peak RSS = VmHWM of the API process, ${
        peakResettable
          ? 'reset (clear_refs) before each upload, so it is the peak during that upload'
          : 'not resettable here: the peak since the API started'
      }; the highest of the rounds. "RSS before": the highest VmRSS just before an upload. CPU = user + system time from /proc/<pid>/stat (10 ms ticks) of the benchmark's own process (the client), the API and file_store during that way's uploads, per MB sent (Postgres and nginx not counted).`,
      'Columns for tus: the time of the POST, of all the PATCHes but the last, and of the last (which also composes, judges, publishes and removes the parts), medians over the rounds; and the median PATCH but the last, each. `BENCH_LOG_LEVEL=info` logs each request of the API, file_store and user_api with its time, to see inside a PATCH.',
    );
  } catch (error) {
    rows.push(['', '', errorCell(error)]);
  } finally {
    await running?.stop();
    if (!plan.keepData) await rm(dir, { recursive: true, force: true });
  }
  return { title, header: HEADER, rows, notes };
}

async function makeFile(dir: string, bytes: number): Promise<AudioFile> {
  const filename = `noise-${bytes}.wav`;
  const path = join(dir, filename);
  await writeWavFile(path, bytes, FORMAT);
  const seconds = (bytes - 44) / (FORMAT.sampleRate * FORMAT.channels * 2);
  return { path, filename, contentType: 'audio/wav', bytes, seconds };
}

/** Above any file here with its multipart framing (the API's default is 100 MiB). */
const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

async function startSystem(
  context: OwnSystemsContext,
): Promise<{ system: BenchSystem; stop(): Promise<void> }> {
  const { plan } = context;
  const dataDir = join(context.workDir, 'resumable');
  const system = await startBenchSystem({
    dataDir,
    databaseUrl: await context.database.another(),
    logLevel: plan.logLevel,
    apiNodeArgs: plan.apiNodeArgs,
    gateway: Boolean(findNginx()),
    apiSettings: {
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      PROCESSING_CONCURRENCY: '0',
    },
  });
  const forget = registerCleanup(() => system.stop());
  return {
    system,
    async stop() {
      forget();
      await system.stop();
      if (!plan.keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sends `file` the way `way` says and checks that it became a sound. */
async function send(
  api: string,
  file: AudioFile,
  way: Way,
  headers: Record<string, string>,
): Promise<Sent> {
  if (way.chunkBytes === undefined) {
    const upload = await uploadFile(`${api}/sounds`, file, headers);
    if (upload.status !== 201) {
      throw new Error(`POST /sounds answered ${upload.status}: ${upload.text}`);
    }
    const sound = JSON.parse(upload.text) as { id: string; size: number };
    if (sound.size !== file.bytes) throw new Error(`stored ${sound.size} bytes of ${file.bytes}`);
    return { ms: upload.ms, soundId: sound.id };
  }
  const upload = await uploadResumable(api, file, { chunkBytes: way.chunkBytes, headers });
  if (upload.status !== 204) {
    const last = upload.requests.at(-1);
    throw new Error(
      `tus ${last?.method ?? 'upload'} answered ${upload.status} after ${upload.requests.length} request(s): ${upload.text}`,
    );
  }
  return { ms: upload.ms, soundId: upload.soundId, tus: upload };
}

/** Deletes a measured sound, so the uploader's quota and file_store's disk stay free. */
async function deleteSound(
  api: string,
  soundId: string,
  headers: Record<string, string>,
): Promise<void> {
  const deleted = await fetch(`${api}/sounds/${soundId}`, { method: 'DELETE', headers });
  if (deleted.status !== 204)
    throw new Error(`DELETE /sounds/${soundId} answered ${deleted.status}`);
}

function rate(result: WayResults, size: number): number {
  if (result.sent.length === 0) return Number.NaN;
  return median(result.sent.map((sent) => mbPerSecond({ bytes: size, ms: sent.ms })));
}

function row(
  size: number,
  way: Way,
  result: WayResults,
  multipartRate: number,
): (string | number)[] {
  if (result.error !== undefined) {
    return [sizeLabel(size), way.label, errorCell(result.error), '', '', '', '', '', '', '', '', 1];
  }
  const wayRate = rate(result, size);
  const seconds = median(result.sent.map((sent) => sent.ms)) / 1000;
  const transfers = result.sent.flatMap((sent) => (sent.tus ? [sent.tus] : []));
  let requests: string | number = 1;
  let split = 'n/a';
  let eachPatch = 'n/a';
  if (transfers.length > 0) {
    requests = `1 POST + ${(transfers[0] as TusTransfer).requests.length - 1} PATCH`;
    const of = (pick: (transfer: TusTransfer) => number) =>
      fixed(median(transfers.map(pick)) / 1000, 2);
    split = [
      of((transfer) => sumMs(transfer, 'post')),
      of((transfer) => sumMs(transfer, 'other')),
      of((transfer) => sumMs(transfer, 'last')),
    ].join(', ');
    const others = transfers.flatMap((transfer) => patches(transfer).slice(0, -1));
    if (others.length > 0) eachPatch = fixed(median(others.map((patch) => patch.ms)), 1);
  }
  return [
    sizeLabel(size),
    way.label,
    requests,
    fixed(wayRate),
    fixed(seconds, 2),
    way.chunkBytes === undefined ? '100 %' : percent(wayRate / multipartRate),
    split,
    eachPatch,
    fixed(Math.max(...result.rssBefore), 0),
    fixed(Math.max(...result.peaks), 0),
    [result.cpu.client, result.cpu.api, result.cpu.fileStore]
      .map((ms) => fixed(ms / ((size * result.sent.length) / MB), 1))
      .join(', '),
    0,
  ];
}

function patches(transfer: TusTransfer) {
  return transfer.requests.filter((request) => request.method === 'PATCH');
}

/** The ms a tus upload spent in its POST, in its PATCHes but the last, or in its last. */
function sumMs(transfer: TusTransfer, part: 'post' | 'other' | 'last'): number {
  const all = patches(transfer);
  const chosen =
    part === 'post'
      ? transfer.requests.filter((request) => request.method === 'POST')
      : part === 'last'
        ? all.slice(-1)
        : all.slice(0, -1);
  return chosen.reduce((sum, request) => sum + request.ms, 0);
}

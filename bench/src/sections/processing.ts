// 8. Processing: what the API does after each upload (server/src/processing/: a durable job per
// sound; ffmpeg, budgeted, decodes the original once into its exact length, its waveform and a
// 128 kbit/s MP3 listening rendition). On a system of its own, one job at a time: the time from
// the upload's 201 to `processing: 'ready'` for WAV, MP3 and FLAC at two lengths and for a song,
// and ffmpeg's peak memory. On a second system running four jobs at once: the listing and
// uploads while it is idle and while four long jobs run.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { programDataDir } from '@cloud-sound/system';
import { type AudioFile, type AudioFormat, makeAudioFile, uploadFile } from '../audio-files.ts';
import { registerCleanup } from '../cleanup.ts';
import { seedSounds } from '../database.ts';
import { getJson, MB, mbPerSecond, uploadWav } from '../http.ts';
import { type LoadResult, runLoad } from '../load.ts';
import { resetPeakRss, statusMiB } from '../proc.ts';
import { isRenderingFfmpeg, type PeakRss, watchPeakRss } from '../process-tree.ts';
import { type BenchSystem, startBenchSystem } from '../system.ts';
import { fixed, median, percent, sizeLabel } from '../table.ts';
import { errorCell, type OwnSystemsContext, type SectionReport } from './context.ts';

type Row = (string | number)[];

/** How often the client asks whether its sound is processed, and ffmpeg's memory is sampled. */
const POLL_MS = 50;
const RSS_SAMPLE_MS = 20;
/** Jobs the second system runs at once, all of them long. */
const BUSY_JOBS = 4;
/** Above any real upload here (a 30-minute WAV is ~318 MB; the API's default is 100 MiB). */
const MAX_UPLOAD_BYTES = String(2 * 1024 ** 3);

const HEADER = [
  'run',
  'audio',
  'file MB',
  '201 → ready s',
  '× realtime',
  'job s (log)',
  'ffmpeg peak RSS MiB',
  'API peak RSS MiB',
  'idle',
  `during ${BUSY_JOBS} jobs`,
  'during ÷ idle',
];

interface Case {
  label: string;
  format: AudioFormat;
  kbps?: number;
  seconds: number;
}

interface Sizes {
  /** The formats' two lengths, and the song's. */
  short: number;
  long: number;
  song: number;
  /** Longest wait for one sound to be processed. */
  readyTimeoutMs: number;
  /** Longest wait for the four long jobs to be running at once. */
  busyStartTimeoutMs: number;
}

const FULL: Sizes = {
  short: 180,
  long: 1800,
  song: 240,
  readyTimeoutMs: 15 * 60_000,
  busyStartTimeoutMs: 60_000,
};
const SMOKE: Sizes = {
  short: 5,
  long: 10,
  song: 6,
  readyTimeoutMs: 60_000,
  busyStartTimeoutMs: 2_000,
};

const PCM = '16-bit 44.1 kHz stereo';

function cases(sizes: Sizes): { formats: Case[]; songs: Case[] } {
  const { short, long, song } = sizes;
  return {
    formats: [
      { label: `WAV (PCM ${PCM})`, format: 'wav', seconds: short },
      { label: `WAV (PCM ${PCM})`, format: 'wav', seconds: long },
      { label: 'MP3 192 kbit/s', format: 'mp3', kbps: 192, seconds: short },
      { label: 'MP3 192 kbit/s', format: 'mp3', kbps: 192, seconds: long },
      // At the rendition's bitrate an MP3 is its own rendition: decoded for its peaks only.
      { label: 'MP3 128 kbit/s (kept as its rendition)', format: 'mp3', kbps: 128, seconds: long },
      { label: `FLAC (${PCM})`, format: 'flac', seconds: short },
      { label: `FLAC (${PCM})`, format: 'flac', seconds: long },
    ],
    songs: [
      { label: 'a song: MP3 192 kbit/s', format: 'mp3', kbps: 192, seconds: song },
      { label: `a song: WAV (PCM ${PCM})`, format: 'wav', seconds: song },
    ],
  };
}

const audioLabel = (seconds: number) =>
  seconds >= 60 ? `${fixed(seconds / 60, 0)} min` : `${seconds} s`;

interface SoundJson {
  id: string;
  durationMs: number | null;
  processing: 'pending' | 'ready' | 'failed';
  processingError: string | null;
}

export async function runProcessingSection(context: OwnSystemsContext): Promise<SectionReport> {
  const { plan } = context;
  const sizes = plan.smoke ? SMOKE : FULL;
  const { formats, songs } = cases(sizes);
  const title = `8. Processing (ffmpeg after each upload: 201 → ready per format, ffmpeg's memory, uploads and the listing while ${BUSY_JOBS} jobs run)`;
  const notes: string[] = [];
  const audioDir = join(context.workDir, 'processing-audio');
  try {
    // Every file is made before any system starts, so making them competes with no measurement.
    await mkdir(audioDir, { recursive: true });
    const made = new Map<Case, AudioFile | Error>();
    const madeBegan = performance.now();
    for (const item of [...formats, ...songs]) {
      made.set(
        item,
        await makeAudioFile({
          dir: audioDir,
          name: `${item.format}-${item.kbps ?? 'pcm'}-${item.seconds}s`,
          format: item.format,
          seconds: item.seconds,
          kbps: item.kbps,
        }).catch((error: Error) => error),
      );
    }
    const madeSeconds = (performance.now() - madeBegan) / 1000;

    const speedRows = await measureSpeed(context, [...formats, ...songs], made, sizes, notes);
    const busyFiles = busyJobFiles(formats, made, sizes.long);
    const busyRows = await measureBusy(context, busyFiles, sizes, notes);

    notes.unshift(
      `Audio: pink noise, different in each channel (neither silence nor a tone, which would compress and encode unrealistically cheaply), 44.1 kHz 16-bit stereo, made by Debian's ffmpeg into the scratch folder in ${fixed(madeSeconds, 0)} s before any system started, and uploaded from disk. ` +
        `Speed rows: a system of its own (API with PROCESSING_CONCURRENCY=1, PROCESSING_POLL_MS=100, READ_CACHE_TTL_MS=0, LOG_LEVEL=info), one sound at a time, no other work on that system (the machine itself may be shared: see the load average). ` +
        `**201 → ready s**: from the upload's 201 to the first \`GET /sounds/:id\` (asked every ${POLL_MS} ms) that says \`processing: 'ready'\`. **× realtime**: the audio's length ÷ that time. ` +
        `**job s (log)**: the API's own clock from its \`processing a sound\` to its \`sound processed\` line (claim, decode, rendition and waveform stored, result recorded); the job is claimed as the upload is published, just before the 201. ` +
        `**ffmpeg peak RSS MiB**: the highest VmHWM of the API's ffmpeg (found below the API's process in /proc, sampled every ${RSS_SAMPLE_MS} ms). ` +
        "**API peak RSS MiB**: the API process's own VmHWM from the upload to `ready` (reset through /proc/<pid>/clear_refs first): the upload and the rendition pass through it as streams, so it should not grow with the file. " +
        `MP3 at 192 kbit/s is above the 128 kbit/s rendition, so it is decoded and encoded again; an MP3 at 128 kbit/s is its own rendition (decoded for the waveform only). ` +
        'The read cache is off on this system: at the default 1 s a client asking every 50 ms would see `ready` up to 1 s late. The web app asks every 1.5 s (`PROCESSING_POLL_MS` in web/src/features/sounds/api/get-sound.ts), so a user sees the waveform up to 1.5 s after these figures.',
    );
    return { title, header: HEADER, rows: [...speedRows, ...busyRows], notes };
  } catch (error) {
    // Each measurement reports its own failure; this is for anything around them.
    return {
      title,
      header: HEADER,
      rows: [['', '', '', errorCell(error)]],
      notes,
    };
  } finally {
    if (!plan.keepData) await rm(audioDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// One job at a time: 201 → ready, the job's own time, ffmpeg's peak memory

async function measureSpeed(
  context: OwnSystemsContext,
  all: Case[],
  made: Map<Case, AudioFile | Error>,
  sizes: Sizes,
  notes: string[],
): Promise<Row[]> {
  const rowStart = (item: Case, file: AudioFile | Error | undefined) => [
    item.label,
    audioLabel(item.seconds),
    file instanceof Error || !file ? '' : fixed(file.bytes / MB, 1),
  ];
  const failedRow = (item: Case, error: unknown): Row => [
    ...rowStart(item, made.get(item)),
    errorCell(error),
  ];
  let running: Running;
  try {
    running = await startOwnSystem(context, 'processing-speed', await context.database.another(), {
      PROCESSING_CONCURRENCY: '1',
      PROCESSING_POLL_MS: '100',
      // Asked every 50 ms, a cached 'pending' would hide 'ready' for up to a second.
      READ_CACHE_TTL_MS: '0',
      LOG_LEVEL: 'info',
      MAX_UPLOAD_BYTES,
    });
  } catch (error) {
    return all.map((item) => failedRow(item, error));
  }
  const rows: Row[] = [];
  const offDurations: string[] = [];
  const retried: string[] = [];
  try {
    const { system, userHeaders } = running;
    const api = system.programs.api;
    for (const item of all) {
      const file = made.get(item);
      if (!file || file instanceof Error) {
        rows.push(failedRow(item, file ?? new Error('no file')));
        continue;
      }
      const watch = watchPeakRss(api.pid, isRenderingFfmpeg, RSS_SAMPLE_MS);
      const apiPeakReset = resetPeakRss(api.pid);
      try {
        const upload = await uploadFile(`${system.urls.api}/sounds`, file, userHeaders);
        if (upload.status !== 201) {
          throw new Error(`upload answered ${upload.status}: ${upload.text.slice(0, 200)}`);
        }
        const created = performance.now();
        const { id } = JSON.parse(upload.text) as SoundJson;
        const sound = await waitProcessed(system.urls.api, id, sizes.readyTimeoutMs);
        const readyS = (performance.now() - created) / 1000;
        const rss = watch.stop();
        if (sound.processing !== 'ready') {
          throw new Error(`processing failed: ${sound.processingError ?? 'no reason given'}`);
        }
        const job = await jobFromLog(system, id);
        if (job.attempt > 1) retried.push(`${item.label}, ${audioLabel(item.seconds)}`);
        const offByMs = Math.abs((sound.durationMs ?? 0) - item.seconds * 1000);
        if (offByMs > Math.max(250, item.seconds * 5)) {
          offDurations.push(
            `${item.label}, ${audioLabel(item.seconds)}: ${sound.durationMs} ms for ${item.seconds} s`,
          );
        }
        rows.push([
          ...rowStart(item, file),
          fixed(readyS, readyS < 10 ? 2 : 1),
          `${fixed(item.seconds / readyS, item.seconds / readyS < 10 ? 1 : 0)}×`,
          fixed(job.seconds, job.seconds < 10 ? 2 : 1),
          rssCell(rss),
          apiPeakReset ? fixed(statusMiB(api.pid, 'VmHWM'), 0) : 'n/a',
        ]);
      } catch (error) {
        watch.stop();
        rows.push(failedRow(item, error));
      }
    }
  } finally {
    await running.stop();
  }
  if (retried.length > 0) {
    notes.push(
      `Processed on a second or later attempt (the job time is the last attempt's): ${retried.join('; ')}.`,
    );
  }
  if (offDurations.length > 0) {
    notes.push(`Processed length differs from the file's: ${offDurations.join('; ')}.`);
  }
  return rows;
}

const rssCell = (rss: PeakRss) =>
  rss.processes === 0 ? 'n/a (no ffmpeg seen)' : fixed(rss.peakMiB, 0);

/** Asks `GET /sounds/:id` every POLL_MS until processing has ended; the last answer. */
export async function waitProcessed(
  api: string,
  id: string,
  timeoutMs: number,
): Promise<SoundJson> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const sound = await getJson<SoundJson>(`${api}/sounds/${id}`);
    if (sound.processing !== 'pending') return sound;
    if (performance.now() > deadline) {
      throw new Error(`still pending after ${fixed(timeoutMs / 1000, 0)} s`);
    }
    await sleep(POLL_MS);
  }
}

/** The job's last attempt as the API logged it: its number and its time, claim to result. */
async function jobFromLog(
  system: BenchSystem,
  soundId: string,
): Promise<{ attempt: number; seconds: number }> {
  const api = system.programs.api;
  const done = JSON.parse(
    await api.waitForLog(
      (line) => line.msg === 'sound processed' && line.soundId === soundId,
      5000,
    ),
  ) as { time: number; attempt: number };
  const began = JSON.parse(
    await api.waitForLog(
      (line) =>
        line.msg === 'processing a sound' &&
        line.soundId === soundId &&
        line.attempt === done.attempt,
      1000,
    ),
  ) as { time: number };
  return { attempt: done.attempt, seconds: (done.time - began.time) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Four long jobs at once: the listing and uploads, idle vs. busy

/** The long WAV and FLAC files, twice each: four long jobs. */
function busyJobFiles(
  formats: Case[],
  made: Map<Case, AudioFile | Error>,
  long: number,
): AudioFile[] | Error {
  const pick = (format: AudioFormat) => {
    const item = formats.find((one) => one.format === format && one.seconds === long);
    const file = item && made.get(item);
    if (!file) throw new Error(`no ${format} file of ${long} s`);
    if (file instanceof Error) throw file;
    return file;
  };
  try {
    const wav = pick('wav');
    const flac = pick('flac');
    return [wav, flac, wav, flac].slice(0, BUSY_JOBS);
  } catch (error) {
    return error as Error;
  }
}

interface LoadFigures {
  listing: LoadResult | Error;
  uploadMBps: number | Error;
}

async function measureBusy(
  context: OwnSystemsContext,
  busyFiles: AudioFile[] | Error,
  sizes: Sizes,
  notes: string[],
): Promise<Row[]> {
  const { plan } = context;
  const listingLabel = `listing GET /sounds?limit=${plan.listingPageSize}`;
  const uploadLabel = `upload ${sizeLabel(plan.concurrentUploadBytes)} WAV, one at a time`;
  const labels = [`${listingLabel}: req/s`, `${listingLabel}: p99 ms`, `${uploadLabel}: MB/s`];
  const failedRows = (error: unknown): Row[] =>
    labels.map((label) => [label, '', '', '', '', '', '', '', errorCell(error), '', '']);

  let running: Running;
  const systemName = 'processing-busy';
  try {
    // The listing reads as many sounds as section 3's; seeded before the API starts (PGlite
    // allows one process).
    const databaseUrl = await context.database.another();
    const dataDir = join(context.workDir, systemName);
    await seedSounds({
      databaseUrl,
      apiDataDir: programDataDir(dataDir, 'api'),
      count: plan.seededSounds,
      uploaders: 100,
    });
    running = await startOwnSystem(context, systemName, databaseUrl, {
      PROCESSING_CONCURRENCY: String(BUSY_JOBS),
      PROCESSING_POLL_MS: '100',
      MAX_UPLOAD_BYTES,
    });
  } catch (error) {
    return failedRows(error);
  }
  try {
    const { system, userHeaders } = running;
    const apiUrl = system.urls.api;
    const listingUrl = `${apiUrl}/sounds?limit=${plan.listingPageSize}`;
    const measureListing = async (): Promise<LoadResult | Error> => {
      try {
        if (plan.warmupSeconds > 0) {
          await runLoad({
            url: listingUrl,
            connections: plan.loadConnections,
            seconds: plan.warmupSeconds,
          });
        }
        return await runLoad({
          url: listingUrl,
          connections: plan.loadConnections,
          seconds: plan.loadSeconds,
        });
      } catch (error) {
        return error as Error;
      }
    };
    /** Median MB/s of plan.uploadRuns uploads; idle, each one's job is done before the next. */
    const measureUploads = async (waitForEach: boolean): Promise<number | Error> => {
      try {
        const speeds: number[] = [];
        for (let run = 0; run < plan.uploadRuns; run++) {
          const upload = await uploadWav(`${apiUrl}/sounds`, {
            field: 'file',
            totalBytes: plan.concurrentUploadBytes,
            headers: userHeaders,
          });
          if (upload.status !== 201) {
            throw new Error(`upload answered ${upload.status}: ${upload.text.slice(0, 200)}`);
          }
          speeds.push(mbPerSecond(upload));
          if (waitForEach) {
            const { id } = JSON.parse(upload.text) as SoundJson;
            await waitProcessed(apiUrl, id, sizes.readyTimeoutMs);
          }
        }
        return median(speeds);
      } catch (error) {
        return error as Error;
      }
    };

    const idle: LoadFigures = {
      listing: await measureListing(),
      uploadMBps: await measureUploads(true),
    };

    let busy: LoadFigures | Error;
    let jobs: { atStart: number; atEnd: number; rss: PeakRss } | undefined;
    const watch = watchPeakRss(system.programs.api.pid, isRenderingFfmpeg, RSS_SAMPLE_MS);
    try {
      if (busyFiles instanceof Error) throw busyFiles;
      // Sent together, so that the four jobs start together.
      const uploads = await Promise.all(
        busyFiles.map((file) => uploadFile(`${apiUrl}/sounds`, file, userHeaders)),
      );
      const refused = uploads.find((upload) => upload.status !== 201);
      if (refused) {
        throw new Error(`a long upload answered ${refused.status}: ${refused.text.slice(0, 200)}`);
      }
      const deadline = performance.now() + sizes.busyStartTimeoutMs;
      while (watch.current().running < BUSY_JOBS && performance.now() < deadline) {
        await sleep(RSS_SAMPLE_MS);
      }
      const atStart = watch.current().running;
      if (atStart < BUSY_JOBS && !plan.smoke) {
        throw new Error(`only ${atStart} of ${BUSY_JOBS} jobs ran at once`);
      }
      busy = { listing: await measureListing(), uploadMBps: await measureUploads(false) };
      jobs = { atStart, atEnd: watch.current().running, rss: watch.stop() };
    } catch (error) {
      busy = error as Error;
    } finally {
      watch.stop();
    }

    const value = (figures: LoadFigures | Error, read: (figures: LoadFigures) => string) => {
      if (figures instanceof Error) return errorCell(figures);
      return read(figures);
    };
    const listingCell = (format: (result: LoadResult) => string) => (figures: LoadFigures) => {
      const result = figures.listing;
      if (result instanceof Error) return errorCell(result);
      const failures = result.errors + result.non2xx;
      return `${format(result)}${failures > 0 ? ` (${failures} errors + non-2xx)` : ''}`;
    };
    const ratio = (
      read: (figures: LoadFigures) => number | undefined,
      show: (ratio: number) => string,
    ) => {
      if (busy instanceof Error) return '';
      const before = read(idle);
      const during = read(busy);
      return before === undefined || during === undefined ? '' : show(during / before);
    };
    const listingNumber = (pick: (result: LoadResult) => number) => (figures: LoadFigures) =>
      figures.listing instanceof Error ? undefined : pick(figures.listing);
    const uploadNumber = (figures: LoadFigures) =>
      figures.uploadMBps instanceof Error ? undefined : figures.uploadMBps;
    const uploadCell = (figures: LoadFigures) =>
      figures.uploadMBps instanceof Error
        ? errorCell(figures.uploadMBps)
        : fixed(figures.uploadMBps);

    const reqPerS = listingCell((result) => fixed(result.requestsPerSecond, 0));
    const p99 = listingCell((result) => fixed(result.p99Ms, 0));
    const rows: Row[] = [
      [
        labels[0] as string,
        ...Array<string>(7).fill(''),
        value(idle, reqPerS),
        value(busy, reqPerS),
        ratio(
          listingNumber((result) => result.requestsPerSecond),
          percent,
        ),
      ],
      [
        labels[1] as string,
        ...Array<string>(7).fill(''),
        value(idle, p99),
        value(busy, p99),
        ratio(
          listingNumber((result) => Math.max(1, result.p99Ms)),
          (r) => `${fixed(r, 1)}×`,
        ),
      ],
      [
        labels[2] as string,
        ...Array<string>(7).fill(''),
        value(idle, uploadCell),
        value(busy, uploadCell),
        ratio(uploadNumber, percent),
      ],
    ];
    const longFiles = busyFiles instanceof Error ? [] : busyFiles;
    notes.push(
      `Idle vs. during ${BUSY_JOBS} jobs: a second system (PROCESSING_CONCURRENCY=${BUSY_JOBS}, ${plan.seededSounds.toLocaleString('en')} processed sounds seeded as in section 3, read cache at its default). ` +
        `Listing: ${plan.warmupSeconds > 0 ? `${plan.warmupSeconds} s of warm-up, then ` : ''}${plan.loadSeconds} s at ${plan.loadConnections} connections (autocannon, in a process of its own). ` +
        `Uploads: ${plan.uploadRuns} × ${sizeLabel(plan.concurrentUploadBytes)} WAV one after another, the median; idle, each upload's own job was done before the next began; busy, they queue behind the long jobs. ` +
        `Busy: ${longFiles.map((file) => `${file.filename} (${fixed(file.bytes / MB, 0)} MB)`).join(', ') || 'the long files'} uploaded together, then measured once ${BUSY_JOBS} ffmpeg processes were running` +
        (jobs
          ? `: ${jobs.atStart} were at the start, ${jobs.atEnd} at the end${jobs.atEnd < BUSY_JOBS ? ' (some ended early: the figures understate what the jobs cost)' : ''}; their ffmpeg peaked at ${rssCell(jobs.rss)} MiB (VmHWM).`
          : '.') +
        ' p99 ratio: during ÷ idle (higher is worse, the idle p99 counted as at least 1 ms). The machine has 2 cores: the four ffmpeg processes, the API, file_store, Postgres and the load generator share them.',
    );
    return rows;
  } finally {
    await running.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// A system of this section's own

export interface Running {
  system: BenchSystem;
  /** The headers of a registered uploader. */
  userHeaders: Record<string, string>;
  /** Stops it and removes its data folder (unless kept). */
  stop(): Promise<void>;
}

export async function startOwnSystem(
  context: OwnSystemsContext,
  name: string,
  databaseUrl: string | undefined,
  apiSettings: Record<string, string>,
): Promise<Running> {
  const { plan } = context;
  const dataDir = join(context.workDir, name);
  const system = await startBenchSystem({
    dataDir,
    databaseUrl,
    logLevel: plan.logLevel,
    apiNodeArgs: plan.apiNodeArgs,
    apiSettings,
  });
  const forget = registerCleanup(() => system.stop());
  const stop = async () => {
    forget();
    await system.stop();
    if (!plan.keepData) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const userId = 8_000_000 + Math.floor(Math.random() * 1_000_000);
    await getJson(`${system.urls.api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: userId }),
    });
    return { system, userHeaders: { 'x-user-id': String(userId) }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

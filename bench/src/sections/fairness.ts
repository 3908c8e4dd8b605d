// 9. Fairness: one processing slot, one uploader's backlog, and another uploader's 3-second WAV
// uploaded behind it: the time from that sound's 201 to `ready`. Jobs are claimed round robin
// across uploaders (server/src/processing/jobs.ts), so it should wait for one job of the backlog
// at most, never for the whole backlog.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AudioFile, uploadFile } from '../audio-files.ts';
import { getJson, uploadWav } from '../http.ts';
import { fixed } from '../table.ts';
import { errorCell, type OwnSystemsContext, type SectionReport } from './context.ts';
import { startOwnSystem, waitProcessed } from './processing.ts';

const HEADER = [
  'backlog (one uploader)',
  'backlog uploaded in s',
  "another uploader's 3 s WAV: 201 → ready s",
  'backlog jobs ended meanwhile',
  'backlog jobs ended in all',
];

interface Backlog {
  label: string;
  files: AudioFile[];
}

export async function runFairnessSection(context: OwnSystemsContext): Promise<SectionReport> {
  const { plan } = context;
  const title =
    "9. Fairness (another uploader's short sound behind one uploader's backlog, one slot)";
  const dir = join(context.workDir, 'fairness-audio');
  const rows: (string | number)[][] = [];
  try {
    await mkdir(dir, { recursive: true });
    // A bomb: a FLAC of silence whose header no longer says how long it is; it decodes until
    // the bound its size allows (4,000 s for 1 MB at 2 kbit/s), then fails `too-long`.
    const bomb = await flacBomb(dir, plan.smoke ? 120 : 5400);
    const minute = await toneWav(dir, 'minute', plan.smoke ? 2 : 60);
    const backlogs: Backlog[] = [
      {
        label: `3 bombs (${fixed(bomb.bytes / 1e6, 2)} MB FLAC, length erased)`,
        files: [bomb, bomb, bomb],
      },
      {
        label: `${plan.smoke ? 5 : 50} × ${plan.smoke ? '2 s' : '1 min'} WAV`,
        files: Array.from({ length: plan.smoke ? 5 : 50 }, () => minute),
      },
    ];
    for (const backlog of backlogs) rows.push(await measure(context, backlog));
  } catch (error) {
    rows.push(['', errorCell(error)]);
  } finally {
    if (!plan.keepData) await rm(dir, { recursive: true, force: true });
  }
  return {
    title,
    header: HEADER,
    rows,
    notes: [
      'Each backlog on a system of its own (PROCESSING_CONCURRENCY=1, PROCESSING_POLL_MS=100, READ_CACHE_TTL_MS=0): one uploader sends the whole backlog, then another uploader sends a 3-second 8 kHz WAV. 201 → ready: from its 201 to the first `GET /sounds/:id` that says it is processed (asked every 50 ms). "Ended meanwhile": backlog jobs that ended (ready or failed) between that 201 and its `ready` — at most the one running when it arrived, with round-robin claims.',
    ],
  };
}

async function measure(context: OwnSystemsContext, backlog: Backlog): Promise<(string | number)[]> {
  let running: Awaited<ReturnType<typeof startOwnSystem>> | undefined;
  try {
    running = await startOwnSystem(context, 'fairness', await context.database.another(), {
      PROCESSING_CONCURRENCY: '1',
      PROCESSING_POLL_MS: '100',
      READ_CACHE_TTL_MS: '0',
      USER_PENDING_SOUNDS: '1000',
    });
    const api = running.system.urls.api;
    const began = performance.now();
    const ids: string[] = [];
    for (const file of backlog.files) {
      const upload = await uploadFile(`${api}/sounds`, file, running.userHeaders);
      if (upload.status !== 201) throw new Error(`backlog upload: ${upload.status} ${upload.text}`);
      ids.push((JSON.parse(upload.text) as { id: string }).id);
    }
    const uploadedS = (performance.now() - began) / 1000;
    const endedBefore = await endedJobs(api, ids);

    const other = 9_000_000 + Math.floor(Math.random() * 1_000_000);
    await getJson(`${api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: other }),
    });
    const short = await uploadWav(`${api}/sounds`, {
      field: 'file',
      totalBytes: 44 + 3 * 8000 * 2,
      headers: { 'x-user-id': String(other) },
    });
    if (short.status !== 201) throw new Error(`short upload: ${short.status} ${short.text}`);
    const created = performance.now();
    const sound = await waitProcessed(
      api,
      (JSON.parse(short.text) as { id: string }).id,
      15 * 60_000,
    );
    const readyS = (performance.now() - created) / 1000;
    if (sound.processing !== 'ready') throw new Error(`the short sound ${sound.processing}`);
    const endedAfter = await endedJobs(api, ids);
    return [
      backlog.label,
      fixed(uploadedS, 1),
      fixed(readyS, 2),
      endedAfter - endedBefore,
      `${endedAfter} of ${ids.length}`,
    ];
  } catch (error) {
    return [backlog.label, errorCell(error)];
  } finally {
    await running?.stop();
  }
}

/** How many of the sounds `ids` have ended processing (ready or failed). */
async function endedJobs(api: string, ids: string[]): Promise<number> {
  let ended = 0;
  for (const id of ids) {
    const sound = await getJson<{ processing: string }>(`${api}/sounds/${id}`);
    if (sound.processing !== 'pending') ended += 1;
  }
  return ended;
}

/** `seconds` of 8 kHz silence as FLAC, with STREAMINFO's total samples erased. */
async function flacBomb(dir: string, seconds: number): Promise<AudioFile> {
  const path = join(dir, 'bomb.flac');
  await ffmpeg(
    ['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', String(seconds)],
    [...['-c:a', 'flac', '-f', 'flac', path]],
  );
  const bytes = await readFile(path);
  // STREAMINFO starts at byte 8; its 36-bit total sample count ends at byte 25.
  bytes[21] = (bytes[21] as number) & 0xf0;
  bytes.fill(0, 22, 26);
  await writeFile(path, bytes);
  return { path, filename: 'bomb.flac', contentType: 'audio/flac', bytes: bytes.length, seconds };
}

/** `seconds` of a 440 Hz tone, 44.1 kHz mono 16-bit WAV. */
async function toneWav(dir: string, name: string, seconds: number): Promise<AudioFile> {
  const path = join(dir, `${name}.wav`);
  await ffmpeg(
    ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`],
    [...['-c:a', 'pcm_s16le', '-f', 'wav', path]],
  );
  const { size } = await stat(path);
  return { path, filename: `${name}.wav`, contentType: 'audio/wav', bytes: size, seconds };
}

function ffmpeg(input: string[], output: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...input, ...output],
      {
        stdio: 'ignore',
      },
    );
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)),
    );
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audioCodecOf,
  buildCorpus,
  type CorpusCase,
  type CorpusGroup,
  type Reference,
  referenceDecode,
} from './helpers/corpus.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';
import { createUpload, sendRest } from './helpers/tus.ts';
import { sleep } from './helpers/wait.ts';

/**
 * Issue 18, item 6: a real-world corpus. Every file a real tool writes that ffmpeg decodes is
 * accepted, processed, as long as ffmpeg's own decode says (within one frame), with an MP3
 * rendition and a sane waveform; every file that holds no audio is refused with the sentence
 * saying what it is, and nothing of it stays stored. Each file is its own test; the cases are
 * grouped in classes (helpers/corpus.ts) so that fixes are made for classes, not files. Every
 * case goes through a resumable upload (tus) too, which must reach the same verdict.
 */

interface SoundBody {
  id: string;
  contentType: string;
  durationMs: number | null;
  processing: 'pending' | 'ready' | 'failed';
  /** A sentence (before issue 18) or `{ code, message }`; shown to the owner only. */
  processingError?: string | { code: string; message: string } | null;
  waveformUrl: string | null;
  streamUrl: string | null;
}

interface ErrorBody {
  code: string;
  message: string;
}

interface WaveformBody {
  version: number;
  bits: number;
  length: number;
  data: number[];
}

type AudioCase = Extract<CorpusCase, { expect: 'audio' }>;
type RefusedCase = Extract<CorpusCase, { expect: 'refused' }>;

const corpus = await buildCorpus();
const audioCases = corpus.cases.filter((c): c is AudioCase => c.expect === 'audio');
const refusedCases = corpus.cases.filter((c): c is RefusedCase => c.expect === 'refused');

/** How long a job may take from the 201 to ready or failed (clips are 1–6 s long). */
const PROCESSING_TIMEOUT_MS = 30_000;

/**
 * An audio case's own time and the wait for those ahead of it in the limiter: vitest starts
 * up to five concurrent tests and its timer runs while they queue.
 */
const AUDIO_CASE_TIMEOUT_MS = 4 * PROCESSING_TIMEOUT_MS;

// ---------------------------------------------------------------------------------------------
// What each case came to, for the summary printed at the end

type Outcome =
  | 'accepted and ready'
  | 'ready, but a check failed'
  | 'failed processing'
  | 'refused, though audio'
  | 'refused with its reason'
  | 'refused, but not as expected'
  | 'accepted, though not audio';

interface Row {
  name: string;
  group: CorpusGroup;
  outcome: Outcome;
  /** From the 201 to `ready`. */
  readyMs?: number;
  /** The first line of what went wrong. */
  problem?: string;
}

const rows: Row[] = [];

/** An error answer in one line: status, code and the sentence. */
const answer = (status: number, body: Partial<ErrorBody>) =>
  `${status} ${body.code}: ${body.message}`;

/** Why processing failed, in one line. */
const reason = (error: SoundBody['processingError']) =>
  typeof error === 'object' && error !== null ? `${error.code}: ${error.message}` : `${error}`;

/**
 * Runs a case's checks; a failure is written into its row (what the API answered when the
 * case said so, else the assertion's first line) and rethrown.
 */
async function recording(row: Row, checks: () => Promise<void>) {
  rows.push(row);
  try {
    await checks();
  } catch (error) {
    row.problem ??= (error instanceof Error ? error.message : String(error)).split('\n')[0];
    if (row.outcome === 'accepted and ready') row.outcome = 'ready, but a check failed';
    if (row.outcome === 'refused with its reason') row.outcome = 'refused, but not as expected';
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The system

let system: TestSystem;
let userId: number;

const PROCESSING = { PROCESSING_CONCURRENCY: '2', PROCESSING_POLL_MS: '100' };

beforeAll(async () => {
  system = await startSystem(PROCESSING);
  userId = await system.createUser();
});

afterAll(async () => {
  console.log(summary());
  await system?.close();
  corpus.remove();
});

/** A URL the API handed out (under PUBLIC_URL), on the API the test started. */
const local = (url: string) => {
  const { pathname, search } = new URL(url);
  return `${system.url}${pathname}${search}`;
};

async function upload(c: CorpusCase): Promise<Response> {
  return uploadSound(system.url, { userId, bytes: c.file, filename: c.filename });
}

/** The sound once processing has ended, and when it did; read as its owner, who sees why it failed. */
async function processed(id: string): Promise<{ sound: SoundBody; at: number }> {
  const deadline = Date.now() + PROCESSING_TIMEOUT_MS;
  const headers = { 'x-user-id': String(userId) };
  for (;;) {
    const sound = await json<SoundBody>(await fetch(`${system.url}/sounds/${id}`, { headers }));
    if (sound.processing !== 'pending') return { sound, at: Date.now() };
    if (Date.now() > deadline) throw new Error(`sound ${id} still pending after the timeout`);
    await sleep(25);
  }
}

// ---------------------------------------------------------------------------------------------
// The cases

// Refusals first: they compare the stored-file count before and after, which an audio case
// still being processed (its derivatives being written) would disturb.
describe('files that hold no audio are refused with what they are', () => {
  it.each(refusedCases)('$name ($filename)', async (c) => {
    const row: Row = { name: c.name, group: c.group, outcome: 'refused with its reason' };
    await recording(row, async () => {
      const before = await system.countStoredFiles();
      const response = await upload(c);
      const body = await json<ErrorBody & SoundBody>(response);
      if (response.status === 201) {
        row.outcome = 'accepted, though not audio';
        await removeSound(body);
      } else if (response.status !== c.status || !c.finding.test(body.message)) {
        row.problem = answer(response.status, body);
      }
      expect(response.status, JSON.stringify(body)).toBe(c.status);
      expect(body.code).toBe(c.code);
      expect(body.message, JSON.stringify(body)).toMatch(c.finding);
      expect(await system.countStoredFiles()).toBe(before);
    });
  });
});

/**
 * Issue 22: a resumable upload gets the multipart upload's verdict. A refused file sent whole in
 * its creation request is refused from its first bytes, and nothing of it stays stored.
 */
describe('files that hold no audio are refused as well through a resumable upload', () => {
  it.each(refusedCases)('$name ($filename)', async (c) => {
    const before = await system.countStoredFiles();
    const { response } = await createUpload(
      system.url,
      userId,
      c.file.length,
      { filename: c.filename },
      c.file,
    );
    const body = await json<ErrorBody>(response);
    expect(response.status, JSON.stringify(body)).toBe(c.status);
    expect(body.code).toBe(c.code);
    expect(body.message, JSON.stringify(body)).toMatch(c.finding);
    expect(await system.countStoredFiles()).toBe(before);
  });
});

/** Deletes a wrongly accepted sound, so that it does not linger into the next case's count. */
async function removeSound(sound: SoundBody) {
  await fetch(`${system.url}/sounds/${sound.id}`, {
    method: 'DELETE',
    headers: { 'x-user-id': String(userId) },
  });
}

/**
 * At most `n` at once of what `limit` runs. Audio cases run concurrently, but only as many as
 * the API processes at once, so that a job never waits in the queue and the time from the
 * 201 to ready is the processing's own.
 */
function limiter(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function limit<T>(task: () => Promise<T>): Promise<T> {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

const limit = limiter(Number(PROCESSING.PROCESSING_CONCURRENCY));

describe('every file ffmpeg decodes is accepted, processed and as long as ffmpeg says', () => {
  it.concurrent.each(audioCases)(
    '$group: $name ($filename)',
    (c) =>
      limit(async () => {
        const row: Row = { name: c.name, group: c.group, outcome: 'refused, though audio' };
        await recording(row, async () => {
          // ffmpeg's own answer, worked out while the API processes the upload.
          const reference = referenceDecode(c.path);
          reference.catch(() => {});
          const response = await upload(c);
          const uploaded = await json<SoundBody & ErrorBody>(response);
          if (response.status !== 201) row.problem = answer(response.status, uploaded);
          expect(response.status, JSON.stringify(uploaded)).toBe(201);
          expect(uploaded.contentType).toMatch(/^audio\//);

          row.outcome = 'failed processing';
          const accepted = Date.now();
          const { sound, at } = await processed(uploaded.id);
          if (sound.processing === 'failed') row.problem = reason(sound.processingError);
          expect(sound.processing, JSON.stringify(sound)).toBe('ready');
          row.outcome = 'accepted and ready';
          row.readyMs = at - accepted;

          expectDuration(sound, await reference);
          await expectMp3Rendition(sound);
          await expectWaveform(sound);
        });
      }),
    AUDIO_CASE_TIMEOUT_MS,
  );
});

function expectDuration(sound: SoundBody, reference: Reference) {
  const { durationMs, toleranceMs } = reference;
  const what = `duration ${sound.durationMs} ms; ffmpeg decodes ${durationMs.toFixed(3)} ms (± ${toleranceMs.toFixed(1)} ms)`;
  expect(sound.durationMs, what).not.toBeNull();
  expect(Math.abs((sound.durationMs ?? 0) - durationMs), what).toBeLessThanOrEqual(toleranceMs);
}

async function expectMp3Rendition(sound: SoundBody) {
  expect(sound.streamUrl).not.toBeNull();
  const response = await fetch(local(sound.streamUrl ?? ''));
  expect(response.status).toBe(200);
  expect(await audioCodecOf(Buffer.from(await response.arrayBuffer()))).toBe('mp3');
}

async function expectWaveform(sound: SoundBody) {
  expect(sound.waveformUrl).not.toBeNull();
  const response = await fetch(local(sound.waveformUrl ?? ''));
  expect(response.status).toBe(200);
  const waveform = await json<WaveformBody>(response);
  expect(waveform).toMatchObject({ version: 2, bits: 8 });
  expect(waveform.length).toBeGreaterThanOrEqual(1);
  expect(waveform.data).toHaveLength(2 * waveform.length);
}

// ---------------------------------------------------------------------------------------------
// The summary

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

/** Counts per outcome and class, 201-to-ready times, and every case that went wrong. */
function summary(): string {
  const outcomes = [...new Set(rows.map((row) => row.outcome))].sort();
  const groups = [...new Set(corpus.cases.map((c) => c.group))];
  const count = (outcome: Outcome, group?: CorpusGroup) =>
    rows.filter((row) => row.outcome === outcome && (!group || row.group === group)).length;
  const header = ['outcome', ...groups, 'all'];
  const table = [
    header,
    ...outcomes.map((outcome) => [
      outcome,
      ...groups.map((group) => String(count(outcome, group))),
      String(count(outcome)),
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((line) => line[i]?.length ?? 0)));
  const lines = table.map(
    (line) => `| ${line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`,
  );
  lines.splice(1, 0, `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);

  const times = rows.flatMap((row) => (row.readyMs === undefined ? [] : [row.readyMs]));
  times.sort((a, b) => a - b);
  const problems = rows
    .filter((row) => row.problem !== undefined)
    .map((row) => `  ${row.group}: ${row.name} — ${row.outcome}: ${row.problem}`);
  return [
    `Corpus: ${rows.length} cases (${corpus.skipped.length} skipped: ${corpus.skipped.join('; ') || 'none'})`,
    ...lines,
    `201 → ready: median ${percentile(times, 50)} ms, p90 ${percentile(times, 90)} ms (${times.length} sounds)`,
    ...(problems.length > 0 ? ['Cases that went wrong:', ...problems] : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Through a resumable upload

/** Smaller than the 64 KiB the first request's bytes are sniffed on: parts are composed. */
const RESUMABLE_CHUNK = 32 * 1024;

describe('every file ffmpeg decodes is accepted as well through a resumable upload', () => {
  it.concurrent.each(audioCases)(
    '$group: $name ($filename)',
    (c) =>
      limit(async () => {
        const { url } = await createUpload(system.url, userId, c.file.length, {
          filename: c.filename,
        });
        const last = await sendRest(url, userId, c.file, RESUMABLE_CHUNK);
        if (last.status !== 204) expect(await last.text()).toBe('');
        expect(last.status).toBe(204);
        const soundId = last.headers.get('sound-id') ?? '';
        const sound = await json<SoundBody>(await fetch(`${system.url}/sounds/${soundId}`));
        expect(sound.contentType).toMatch(/^audio\//);
        const audio = await fetch(`${system.url}/sounds/${soundId}/audio`);
        expect(Buffer.from(await audio.arrayBuffer()).equals(c.file)).toBe(true);
        // Its processing was proven through POST /sounds; here it only adds load.
        await removeSound(sound);
      }),
    AUDIO_CASE_TIMEOUT_MS,
  );
});

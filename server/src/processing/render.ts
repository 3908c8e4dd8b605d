import type { Readable } from 'node:stream';
import { DEMUXER_ALLOW_LIST } from '../media/formats.ts';
import type { ProbedAudio } from '../media/probe.ts';
import type { MediaTool, ToolBudget } from '../media/tool.ts';
import { DecodeLog } from './decode-log.ts';
import { ProcessingFailed } from './failures.ts';
import { PEAKS_SAMPLE_RATE, PeaksBuilder, type Waveform } from './peaks.ts';

/**
 * The listening rendition: MP3 at a constant 128 kbit/s. Every browser plays MP3 (Chrome,
 * Firefox, Safari on macOS and iOS, Edge, Android's WebView), a constant bitrate lets a player
 * seek by byte ranges without an index, and an MP3 streams out of ffmpeg as it is encoded (an
 * MP4 would need its index moved to the front afterwards, so a temporary file). See README,
 * "Design decisions".
 */
export const STREAM_CONTENT_TYPE = 'audio/mpeg';
export const STREAM_BITRATE_KBPS = 128;

/** EBU R128, measured in the same pass as everything else. */
export interface Loudness {
  /** Integrated loudness, LUFS. */
  integratedLufs: number;
  /** The highest true (inter-sample) peak, dBTP. */
  truePeakDbtp: number;
}

export interface RenderedSound {
  /** The decoded length: exact, counted in samples. */
  durationMs: number;
  waveform: Waveform;
  /** Null when the sound is too short or too quiet to measure (below the gate). */
  loudness: Loudness | null;
}

/**
 * Decoding errors are tolerated (a partial last packet, a broken frame in a stream rip, a
 * garbage tail, a file cut short): the sound is what decodes. It fails only when errors come
 * in numbers (a damaged stretch, not a cut) and less than half of the length its container
 * announced decoded, i.e. when they cost a real part of it.
 */
const LEAST_DECODED_SHARE = 0.5;
const MANY_ERRORS = 10;

/**
 * Decodes the sound at `inputUrl` once, in one ffmpeg process, into its exact length, its
 * waveform and its loudness and, when `storeStream` is given, its listening rendition (streamed
 * to it as it is encoded). Nothing is held whole: the rendition flows to storage, the PCM into
 * the peaks. Any channel count is downmixed (a layout the file leaves unknown, such as ten
 * channels, is averaged to mono).
 */
export async function renderSound(options: {
  ffmpeg: MediaTool;
  inputUrl: string;
  /** What ffprobe found: its demuxer is the only one ffmpeg may use. */
  found: ProbedAudio;
  /** Stops ffmpeg (this process is shutting down, or the job was lost). */
  signal: AbortSignal;
  /** The most sound it may decode (processing/budget.ts): past it, it fails `too-long`. */
  boundMs: number;
  /** This run's time, CPU and memory. */
  budget: ToolBudget;
  storeStream?: (rendition: Readable) => Promise<void>;
}): Promise<RenderedSound> {
  const { storeStream, found } = options;
  const log = new DecodeLog();
  const run = await options.ffmpeg.run(
    [
      ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', '-threads', '1'],
      // Decode what can be decoded: a broken packet is skipped, not the end of the sound.
      ...['-err_detect', 'ignore_err'],
      // Only the one file, over HTTP, with the demuxer ffprobe found (a file ffmpeg would take
      // for a playlist or a list of other files can never make it open them).
      ...['-protocol_whitelist', 'http,tcp', '-format_whitelist', DEMUXER_ALLOW_LIST],
      // Reading stops a second past the bound: whatever decodes beyond it fails the job.
      ...['-t', ((options.boundMs + 1000) / 1000).toFixed(3)],
      ...['-f', found.demuxer, '-i', options.inputUrl],
      ...['-filter_complex', filterGraph(found, Boolean(storeStream))],
      ...(storeStream
        ? [
            ...['-map', '[rendition]', '-map_metadata', '-1'],
            ...['-c:a', 'libmp3lame', '-b:a', `${STREAM_BITRATE_KBPS}k`],
            // No ID3 tag and no Xing frame: the output is a pipe, so neither could be filled in.
            ...['-id3v2_version', '0', '-write_xing', '0', '-f', 'mp3', 'pipe:3'],
          ]
        : []),
      ...['-map', '[peaks]', '-c:a', 'pcm_s16le', '-f', 's16le', storeStream ? 'pipe:4' : 'pipe:3'],
    ],
    { outputs: storeStream ? 2 : 1, onLogLine: (line) => log.read(line), budget: options.budget },
  );
  const stop = () => run.kill();
  options.signal.addEventListener('abort', stop, { once: true });
  const [first, second] = run.outputs;
  const rendition = storeStream ? first : undefined;
  const pcm = (storeStream ? second : first) as Readable;

  const peaks = new PeaksBuilder();
  const measured = (async () => {
    for await (const chunk of pcm) peaks.push(chunk as Buffer);
  })();
  const stored = rendition && storeStream ? storeStream(rendition) : Promise.resolve();
  // Should storage fail, ffmpeg has nobody to write to: stop it rather than let it block.
  stored.catch(() => run.kill());

  const [exit, storing] = await Promise.all([
    run.finished,
    stored.then(
      () => undefined,
      (error: unknown) => error,
    ),
    measured.catch(() => undefined),
  ]).finally(() => options.signal.removeEventListener('abort', stop));
  if (storing instanceof ProcessingFailed) throw storing;
  if (storing !== undefined) {
    throw new ProcessingFailed('storage', `the rendition could not be stored: ${storing}`);
  }
  // Out of CPU time, the file's doing; out of wall time first, maybe a busy machine's: retried.
  if (exit.overrun === 'cpu') throw new ProcessingFailed('over-time', exit.logTail);
  if (exit.overrun === 'time') throw new ProcessingFailed('over-time', exit.logTail, true);
  if (exit.overrun === 'memory') throw new ProcessingFailed('over-memory', exit.logTail);
  if (exit.overrun) throw new ProcessingFailed('internal', `ffmpeg: ${exit.overrun}`);
  if (log.storageFailed) throw new ProcessingFailed('storage', exit.logTail);
  if (log.decodedSamples === 0) {
    throw new ProcessingFailed('undecodable', `no audio decoded: ${exit.logTail}`);
  }
  const durationMs = Math.round((peaks.samples * 1000) / PEAKS_SAMPLE_RATE);
  if (durationMs > options.boundMs) {
    throw new ProcessingFailed('too-long', `decoded past its bound of ${options.boundMs} ms`);
  }
  if (
    log.errors >= MANY_ERRORS &&
    found.durationMs !== null &&
    durationMs < found.durationMs * LEAST_DECODED_SHARE
  ) {
    throw new ProcessingFailed(
      'undecodable',
      `${durationMs} ms of ${found.durationMs} decoded, ${log.errors} errors: ${exit.logTail}`,
    );
  }
  return { durationMs, waveform: peaks.finish(), loudness: log.loudness };
}

/**
 * One decode, split three ways: the rendition (mono or stereo), the peaks (8 kHz mono PCM, at
 * least one sample however short the sound) and the measurements (EBU R128 loudness with true
 * peak, and the count of decoded samples), whose results ffmpeg logs when it ends.
 */
function filterGraph(found: ProbedAudio, withRendition: boolean): string {
  const downmix =
    found.channels > 2 && !found.channelLayout ? `${averageToMono(found.channels)},` : '';
  const branches = withRendition ? ['[r]', '[p]', '[m]'] : ['[p]', '[m]'];
  return [
    `[0:a:0]${downmix}asplit=${branches.length}${branches.join('')}`,
    ...(withRendition ? ['[r]aformat=channel_layouts=mono|stereo[rendition]'] : []),
    `[p]aresample=${PEAKS_SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono,apad=whole_len=1[peaks]`,
    '[m]ebur128=peak=true:framelog=verbose,astats=measure_perchannel=none:measure_overall=Number_of_samples,anullsink',
  ].join(';');
}

/** `pan` to mono with every channel weighted alike: for layouts ffmpeg cannot rematrix. */
function averageToMono(channels: number): string {
  const weight = (1 / channels).toFixed(6);
  const sum = Array.from({ length: channels }, (_, i) => `${weight}*c${i}`).join('+');
  return `pan=mono|c0=${sum}`;
}

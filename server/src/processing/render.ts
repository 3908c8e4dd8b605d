import type { Readable } from 'node:stream';
import type { Ffmpeg } from './ffmpeg.ts';
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

export interface RenderedSound {
  /** The decoded length: exact, counted in samples. */
  durationMs: number;
  waveform: Waveform;
}

/**
 * ffmpeg's demuxer for each type the upload check verifies (and the names older rows may carry).
 * Naming it keeps ffmpeg from probing the bytes for a format of its own choosing: a file it
 * would read as a playlist or a concat list could make it open other URLs.
 */
const DEMUXERS: Record<string, string> = {
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/mp4': 'mov',
  'audio/x-m4a': 'mov',
  'audio/aac': 'aac',
  'audio/webm': 'matroska',
  'audio/aiff': 'aiff',
  'audio/x-aiff': 'aiff',
};

/** ffmpeg's input options for a file of `contentType` read over HTTP from file_store. */
export function inputOptions(contentType: string): string[] {
  const demuxer = DEMUXERS[contentType.split(';')[0]?.trim().toLowerCase() ?? ''];
  // Only the protocols reading from file_store takes, whatever the file says.
  return ['-protocol_whitelist', 'http,tcp', ...(demuxer ? ['-f', demuxer] : [])];
}

/** The sound cannot be rendered: `reason` is for its owner; `retryable` when not its fault. */
export class RenderFailed extends Error {
  readonly retryable: boolean;
  constructor(reason: string, retryable: boolean) {
    super(reason);
    this.retryable = retryable;
  }
}

/**
 * Decodes the sound at `inputUrl` once, in one ffmpeg process, into its waveform and exact
 * length and, when `storeStream` is given, its listening rendition (streamed to it as it is
 * encoded). Nothing is held whole: the rendition flows to storage, the PCM into the peaks.
 */
export async function renderSound(options: {
  ffmpeg: Ffmpeg;
  inputUrl: string;
  /** The type the upload check verified: it names ffmpeg's demuxer. */
  contentType: string;
  /** Stops ffmpeg (this process is shutting down). */
  signal: AbortSignal;
  storeStream?: (rendition: Readable) => Promise<void>;
}): Promise<RenderedSound> {
  const { storeStream } = options;
  const renditionArgs = storeStream
    ? [
        ...['-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1'],
        ...['-c:a', 'libmp3lame', '-b:a', `${STREAM_BITRATE_KBPS}k`],
        // No ID3 tag and no Xing frame: the output is a pipe, so neither could be filled in.
        ...['-id3v2_version', '0', '-write_xing', '0', '-f', 'mp3', 'pipe:3'],
      ]
    : [];
  const pcmPipe = storeStream ? 'pipe:4' : 'pipe:3';
  const run = await options.ffmpeg.run(
    [
      // -xerror: the first frame that fails to decode fails the whole run (the complete proof
      // that the file is audio, where the upload check read only its first frames).
      ...['-hide_banner', '-nostdin', '-v', 'error', '-xerror', '-threads', '1'],
      ...inputOptions(options.contentType),
      ...['-i', options.inputUrl],
      ...renditionArgs,
      ...['-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(PEAKS_SAMPLE_RATE)],
      ...['-c:a', 'pcm_s16le', '-f', 's16le', pcmPipe],
    ],
    storeStream ? 2 : 1,
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
  if (storing !== undefined) {
    throw new RenderFailed(
      `the rendition could not be stored (${(storing as Error).message})`,
      true,
    );
  }
  if (!exit.ok) throw new RenderFailed(exit.failure ?? 'ffmpeg failed', false);
  if (peaks.samples === 0) throw new RenderFailed('the file holds no audio that decodes', false);
  return {
    durationMs: Math.round((peaks.samples * 1000) / PEAKS_SAMPLE_RATE),
    waveform: peaks.finish(),
  };
}

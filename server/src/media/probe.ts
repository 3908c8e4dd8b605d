import { contentTypeOf, DEMUXER_ALLOW_LIST, demuxerOf, familyOfDemuxer } from './formats.ts';
import type { MediaTool, ToolBudget } from './tool.ts';

/**
 * The decoder is the judge of what audio is: ffprobe opens the stored file (over HTTP from
 * file_store, that one URL and nothing else), with only audio demuxers allowed, lists its
 * streams and decodes its first packets. Its answer is the file's container, codec, layout and
 * estimated length, or why it is not audio in words for people.
 */

export interface ProbedAudio {
  /** ffmpeg's demuxer, given as `-f` to every later run so nothing else is tried. */
  demuxer: string;
  /** The first audio stream's codec, e.g. `mp3`, `mp2`, `opus`, `pcm_s16le`. */
  codec: string;
  /** What `/audio` serves the original as. */
  contentType: string;
  sampleRate: number;
  channels: number;
  /** ffmpeg's name for the channel layout; null when the file leaves it unknown. */
  channelLayout: string | null;
  /** The container's (or the bitrate's) estimate; null when it gives none. */
  durationMs: number | null;
  /** Bits per second over the whole file; null when unknown. */
  bitRate: number | null;
}

export type ProbeVerdict =
  | { audio: true; found: ProbedAudio }
  /** Not audio (415), or audio that does not decode: `finding` says what, for people. */
  | { audio: false; why: 'not-audio' | 'undecodable'; finding: string }
  /** Checking it took more CPU or memory than its budget (422). */
  | { audio: false; why: 'over-budget'; finding: string }
  /** It ran out of wall time with CPU to spare: the machine is busy, not the file at fault (503). */
  | { audio: false; why: 'busy'; finding: string }
  /** file_store could not be read (503): says nothing about the file. */
  | { audio: false; why: 'storage'; finding: string };

/** Packets decoded to prove the file plays: enough to step over a stream rip's broken start. */
const PACKETS_DECODED = 24;
/** ffprobe's answer for that many packets is a few KB; more means something is wrong. */
const MAX_ANSWER_BYTES = 256 * 1024;

interface FfprobeAnswer {
  format?: {
    format_name?: string;
    duration?: string;
    bit_rate?: string;
    tags?: Record<string, string>;
  };
  streams?: Array<{
    index: number;
    codec_type?: string;
    codec_name?: string;
    sample_rate?: string;
    channels?: number;
    channel_layout?: string;
    disposition?: { attached_pic?: number };
  }>;
  frames?: Array<{ media_type?: string; stream_index?: number; nb_samples?: number }>;
}

export async function probeAudio(
  ffprobe: MediaTool,
  url: string,
  hints: { ebmlDocType?: string | undefined } = {},
): Promise<ProbeVerdict> {
  const run = await ffprobe.run(
    [
      ...['-hide_banner', '-v', 'error', '-threads', '1'],
      ...['-protocol_whitelist', 'http,tcp', '-format_whitelist', DEMUXER_ALLOW_LIST],
      ...['-read_intervals', `%+#${PACKETS_DECODED}`],
      '-show_entries',
      [
        'format=format_name,duration,bit_rate:format_tags=major_brand',
        'stream=index,codec_type,codec_name,sample_rate,channels,channel_layout',
        'stream_disposition=attached_pic',
        'frame=media_type,stream_index,nb_samples',
      ].join(':'),
      ...['-of', 'json', '-i', url],
    ],
    { maxStdoutBytes: MAX_ANSWER_BYTES },
  );
  const exit = await run.finished;
  if (exit.overrun === 'time') return { audio: false, why: 'busy', finding: exit.logTail };
  if (exit.overrun && exit.overrun !== 'not-started') {
    return { audio: false, why: 'over-budget', finding: overrunFinding(exit.overrun) };
  }
  if (isStorageFailure(exit.logTail))
    return { audio: false, why: 'storage', finding: exit.logTail };

  let answer: FfprobeAnswer = {};
  try {
    answer = JSON.parse(exit.stdout || '{}') as FfprobeAnswer;
  } catch {
    // An unfinished answer: judged below as no container found.
  }
  const formatName = answer.format?.format_name;
  const demuxer = formatName ? demuxerOf(formatName) : undefined;
  if (!formatName || !demuxer || !familyOfDemuxer(formatName)) {
    return { audio: false, why: 'not-audio', finding: 'not a sound format Cloud Sound knows' };
  }
  const streams = answer.streams ?? [];
  if (streams.some((s) => s.codec_type === 'video' && !s.disposition?.attached_pic)) {
    return { audio: false, why: 'not-audio', finding: 'a video — upload its sound on its own' };
  }
  const stream = streams.find((s) => s.codec_type === 'audio');
  if (!stream) return { audio: false, why: 'not-audio', finding: 'a file with no audio stream' };
  const decoded = (answer.frames ?? []).some(
    (frame) => frame.stream_index === stream.index && (frame.nb_samples ?? 0) > 0,
  );
  const channels = stream.channels ?? 0;
  const sampleRate = Number(stream.sample_rate ?? 0);
  if (!decoded || channels < 1 || sampleRate < 1) {
    return { audio: false, why: 'undecodable', finding: 'its audio could not be decoded' };
  }
  const codec = stream.codec_name ?? 'unknown';
  const seconds = Number(answer.format?.duration);
  const bitRate = Number(answer.format?.bit_rate);
  return {
    audio: true,
    found: {
      demuxer,
      codec,
      contentType: contentTypeOf({
        demuxer,
        codec,
        ebmlDocType: hints.ebmlDocType,
        majorBrand: answer.format?.tags?.major_brand,
      }),
      sampleRate,
      channels,
      channelLayout: stream.channel_layout || null,
      durationMs: Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null,
      bitRate: Number.isFinite(bitRate) && bitRate > 0 ? bitRate : null,
    },
  };
}

function overrunFinding(overrun: string): string {
  if (overrun === 'memory') return 'more memory than a check may use';
  if (overrun === 'output') return 'a description larger than a check may read';
  return 'more CPU time than a check may take';
}

/** ffprobe could not read from file_store: an outage, not a verdict on the file. */
function isStorageFailure(log: string): boolean {
  return /Connection refused|Connection timed out|Server returned 5\d\d|Server returned 404|End of file while parsing HTTP|Connection reset/i.test(
    log,
  );
}

/**
 * The probe's budget from MEDIA_CHECK_TIMEOUT_MS (its CPU time) and MEDIA_CHECK_MEMORY_MB: the
 * wall clock allows twice the CPU time, so a busy machine does not pass for a costly file.
 */
export function probeBudget(settings: {
  MEDIA_CHECK_TIMEOUT_MS: number;
  MEDIA_CHECK_MEMORY_MB: number;
}): ToolBudget {
  return {
    timeoutMs: 2 * settings.MEDIA_CHECK_TIMEOUT_MS,
    cpuSeconds: Math.ceil(settings.MEDIA_CHECK_TIMEOUT_MS / 1000),
    memoryMb: settings.MEDIA_CHECK_MEMORY_MB,
  };
}

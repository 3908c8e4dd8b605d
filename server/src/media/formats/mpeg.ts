import { ascii, u8, u32be } from './bytes.ts';
import { clampDurationMs, compressedLimitMs } from './duration.ts';
import { endBeforeTrailingTags } from './id3.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError } from './types.ts';

/** MPEG-1/2/2.5 audio, layers I to III (ISO/IEC 11172-3 §2.4.2.3, 13818-3, and the 2.5 extension). */

export interface MpegFrameHeader {
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  /** In bit/s. */
  bitrate: number;
  sampleRate: number;
  channels: 1 | 2;
  samplesPerFrame: number;
  /** Header included. */
  frameLength: number;
}

/** In kbit/s, by bitrate index; index 0 ("free format") and 15 are refused. */
const BITRATES: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG1_SAMPLE_RATES = [44100, 48000, 32000];
/** The version bits: 0 is MPEG-2.5, 1 reserved, 2 MPEG-2, 3 MPEG-1. */
const VERSIONS = [2.5, undefined, 2, 1] as const;
/** MPEG-2 halves the MPEG-1 sample rates, MPEG-2.5 quarters them. */
const RATE_DIVISORS = { 1: 1, 2: 2, 2.5: 4 };
/** The layer bits: 0 reserved, 1 layer III, 2 layer II, 3 layer I. */
const LAYERS = [undefined, 3, 2, 1] as const;
const RESERVED_EMPHASIS = 2;

/** The longest frame of any version and layer (MPEG-2 layer II, 160 kbit/s at 8 kHz, padded). */
const MAX_FRAME_BYTES = 2881;
/** Frames must start within this many bytes after the tags. */
const SEARCH_BYTES = 64 * 1024;
/** Frames whose lengths must chain to the next header (or to the end of the audio). */
const CHAIN_FRAMES = 3;

/** The 4-byte frame header at `at`, or undefined when the bytes are not one. */
export function parseMpegFrameHeader(bytes: Uint8Array, at: number): MpegFrameHeader | undefined {
  if (at < 0 || at + 4 > bytes.length) return undefined;
  const [b0, b1, b2, b3] = [u8(bytes, at), u8(bytes, at + 1), u8(bytes, at + 2), u8(bytes, at + 3)];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = VERSIONS[(b1 >> 3) & 3];
  const layer = LAYERS[(b1 >> 1) & 3];
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (version === undefined || layer === undefined) return undefined;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  if ((b3 & 3) === RESERVED_EMPHASIS) return undefined;
  const bitrate = (BITRATES[`${version === 1 ? 1 : 2}-${layer}`]?.[bitrateIndex] ?? 0) * 1000;
  const sampleRate = (MPEG1_SAMPLE_RATES[rateIndex] ?? 0) / RATE_DIVISORS[version];
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 1 ? 576 : 1152;
  const padding = (b2 >> 1) & 1;
  return {
    version,
    layer,
    bitrate,
    sampleRate,
    channels: b3 >> 6 === 3 ? 1 : 2,
    samplesPerFrame,
    frameLength: frameLength(layer, samplesPerFrame, bitrate, sampleRate, padding),
  };
}

/** 11172-3 §2.4.2.3 (padding_bit): layer I counts 4-byte slots, layers II and III bytes. */
function frameLength(
  layer: number,
  samplesPerFrame: number,
  bitrate: number,
  sampleRate: number,
  padding: number,
): number {
  const slot = layer === 1 ? 4 : 1;
  return (Math.floor((samplesPerFrame / 8 / slot) * (bitrate / sampleRate)) + padding) * slot;
}

function sameStream(a: MpegFrameHeader, b: MpegFrameHeader): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate;
}

/**
 * Whether the frame at `at` starts a run of CHAIN_FRAMES frames, each ending where the next
 * header of the same stream starts, or the run reaches exactly `end` (a short file). `bytes`
 * start at file offset `base`.
 */
function chains(bytes: Uint8Array, base: number, at: number, end: number): boolean {
  const first = parseMpegFrameHeader(bytes, at);
  let header = first;
  for (let chained = 0; first && header && sameStream(first, header); chained++) {
    if (chained === CHAIN_FRAMES) return true;
    const next = at + header.frameLength;
    if (base + next === end) return true;
    at = next;
    header = parseMpegFrameHeader(bytes, at);
  }
  return false;
}

export interface MpegFrames {
  /** File offset of the first frame. */
  offset: number;
  first: MpegFrameHeader;
}

/** The first frame within SEARCH_BYTES of `start` that chains, if any; `end` is where the audio ends. */
export async function findMpegFrames(
  reader: ByteReader,
  start: number,
  end: number,
): Promise<MpegFrames | undefined> {
  const bytes = await reader.read(
    start,
    Math.min(end - start, SEARCH_BYTES + CHAIN_FRAMES * MAX_FRAME_BYTES),
  );
  const last = Math.min(bytes.length, SEARCH_BYTES);
  for (let i = bytes.indexOf(0xff); i >= 0 && i < last; i = bytes.indexOf(0xff, i + 1)) {
    const first = parseMpegFrameHeader(bytes, i);
    if (first && chains(bytes, start, i, end)) return { offset: start + i, first };
  }
  return undefined;
}

/**
 * The frame count of a Xing/Info tag (in the first frame, after the side information) or a
 * VBRI tag (32 bytes after the header), when there is one.
 */
function taggedFrameCount(frame: Uint8Array, header: MpegFrameHeader): number | undefined {
  const sideInfo =
    header.version === 1 ? (header.channels === 1 ? 17 : 32) : header.channels === 1 ? 9 : 17;
  const xing = 4 + sideInfo;
  const tag = ascii(frame, xing, 4);
  if ((tag === 'Xing' || tag === 'Info') && frame.length >= xing + 12) {
    const hasFrameCount = (u32be(frame, xing + 4) & 1) !== 0;
    return hasFrameCount ? u32be(frame, xing + 8) : undefined;
  }
  const vbri = 4 + 32;
  if (ascii(frame, vbri, 4) === 'VBRI' && frame.length >= vbri + 18) return u32be(frame, vbri + 14);
  return undefined;
}

/** The shortest frame this stream can have: the lowest bitrate, unpadded. */
function shortestFrame(header: MpegFrameHeader): number {
  const lowest = (BITRATES[`${header.version === 1 ? 1 : 2}-${header.layer}`]?.[1] ?? 0) * 1000;
  return frameLength(header.layer, header.samplesPerFrame, lowest, header.sampleRate, 0);
}

export async function verifyMpeg(
  reader: ByteReader,
  start: number,
  afterTag: boolean,
): Promise<AudioInfo> {
  const end = await endBeforeTrailingTags(reader, start);
  const frames = await findMpegFrames(reader, start, end);
  if (!frames) {
    throw new NotAudioError(
      afterTag
        ? 'The file is not audio: no MPEG audio frames follow its ID3 tag'
        : 'The file is not audio: it holds no MPEG audio frames',
    );
  }
  const { offset, first } = frames;
  const audioBytes = end - offset;
  const frame = await reader.read(offset, first.frameLength);
  const tagged = taggedFrameCount(frame, first);
  const seconds =
    tagged === undefined
      ? (audioBytes * 8) / first.bitrate
      : (Math.min(tagged, audioBytes / shortestFrame(first)) * first.samplesPerFrame) /
        first.sampleRate;
  return {
    format: 'mpeg',
    contentType: 'audio/mpeg',
    codec: `mp${first.layer}`,
    sampleRate: first.sampleRate,
    channels: first.channels,
    durationMs: clampDurationMs(seconds * 1000, compressedLimitMs(audioBytes)),
  };
}

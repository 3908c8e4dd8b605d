import { u8 } from './bytes.ts';
import { clampDurationMs, compressedLimitMs } from './duration.ts';
import { endBeforeTrailingTags } from './id3.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError } from './types.ts';

/** Raw AAC in ADTS frames (ISO/IEC 14496-3 Annex 1.A: adts_fixed_header, adts_variable_header). */

export interface AdtsHeader {
  /** Header included. */
  frameLength: number;
  sampleRateIndex: number;
  sampleRate: number;
  channels: number;
  /** 1024 samples per raw data block. */
  samples: number;
}

/**
 * AAC sample rates by sampling_frequency_index (14496-3); 13 and 14 are reserved,
 * 15 (an explicit rate) is not allowed in ADTS.
 */
export const AAC_SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
/** Channels by channel_configuration; 0 (layout in a program config element) is not accepted. */
export const AAC_CHANNELS = [0, 1, 2, 3, 4, 5, 6, 8];
const SAMPLES_PER_BLOCK = 1024;
const CHAIN_FRAMES = 3;
/** Frames past the first few are followed, for the bitrate estimate, within this many bytes. */
const ESTIMATE_BYTES = 64 * 1024;

/** The ADTS header at `at`, or undefined when the bytes are not one. */
export function parseAdtsHeader(bytes: Uint8Array, at: number): AdtsHeader | undefined {
  if (at < 0 || at + 7 > bytes.length) return undefined;
  const byte = (i: number) => u8(bytes, at + i);
  // syncword 0xFFF, then ID (either), layer 00.
  if (byte(0) !== 0xff || (byte(1) & 0xf6) !== 0xf0) return undefined;
  // 2 bytes of CRC follow the 7 when protection_absent is 0.
  const headerLength = (byte(1) & 1) === 1 ? 7 : 9;
  const sampleRateIndex = (byte(2) >> 2) & 0xf;
  const sampleRate = AAC_SAMPLE_RATES[sampleRateIndex];
  const channels = AAC_CHANNELS[((byte(2) & 1) << 2) | (byte(3) >> 6)] ?? 0;
  const frameLength = ((byte(3) & 3) << 11) | (byte(4) << 3) | (byte(5) >> 5);
  if (sampleRate === undefined || channels === 0 || frameLength <= headerLength) return undefined;
  const samples = ((byte(6) & 3) + 1) * SAMPLES_PER_BLOCK;
  return { frameLength, sampleRateIndex, sampleRate, channels, samples };
}

export async function verifyAdts(reader: ByteReader, start: number): Promise<AudioInfo> {
  const end = await endBeforeTrailingTags(reader, start);
  const bytes = await reader.read(start, Math.min(end - start, ESTIMATE_BYTES));
  const first = parseAdtsHeader(bytes, 0);
  if (!first) throw new NotAudioError('The file is not audio: no ADTS frame at its start');
  // Follow the frames: each must end where the next header of the same stream starts.
  let frames = 0;
  let samples = 0;
  let at = 0;
  for (;;) {
    const header = parseAdtsHeader(bytes, at);
    if (!header || header.sampleRateIndex !== first.sampleRateIndex) break;
    if (start + at + header.frameLength > end) break;
    frames += 1;
    samples += header.samples;
    at += header.frameLength;
    if (start + at === end) break;
  }
  const reachedEnd = start + at === end;
  // The last counted frame is proven only by the header after it (or by the end of the file).
  const proven = reachedEnd ? frames : frames - 1;
  if (proven < CHAIN_FRAMES && !reachedEnd) {
    throw new NotAudioError('The file is not audio: its ADTS frames do not follow each other');
  }
  const audioBytes = end - start;
  const seconds = ((audioBytes / at) * samples) / first.sampleRate;
  return {
    format: 'adts',
    contentType: 'audio/aac',
    codec: 'aac',
    sampleRate: first.sampleRate,
    channels: first.channels,
    durationMs: clampDurationMs(seconds * 1000, compressedLimitMs(audioBytes)),
  };
}

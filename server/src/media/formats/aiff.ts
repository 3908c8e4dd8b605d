import { ascii, i16be, u8, u16be, u32be } from './bytes.ts';
import { clampDurationMs } from './duration.ts';
import { MAX_STRUCTURES, structureCounter } from './limits.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError } from './types.ts';

/**
 * AIFF 1.3 and AIFF-C (Apple, "Audio Interchange File Format" 1989 / draft 1991): a FORM of
 * chunks, of which COMM (the format) and SSND (the samples) matter; the others (NAME, ANNO,
 * COMT, ID3, APPL, FVER, ...) are skipped by their sizes. The chunks may come in any order.
 */

const FORM_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;
const MAX_SAMPLE_RATE = 1_000_000;

/** AIFF-C compression types accepted besides NONE and sowt: bytes per sample and codec. */
const FIXED_SIZE_COMPRESSIONS = new Map<string, [bytes: number, codec: string]>([
  ['in24', [3, 'pcm_s24be']],
  ['in32', [4, 'pcm_s32be']],
  ['fl32', [4, 'pcm_f32be']],
  ['FL32', [4, 'pcm_f32be']],
  ['fl64', [8, 'pcm_f64be']],
  ['FL64', [8, 'pcm_f64be']],
  ['alaw', [1, 'pcm_alaw']],
  ['ALAW', [1, 'pcm_alaw']],
  ['ulaw', [1, 'pcm_mulaw']],
  ['ULAW', [1, 'pcm_mulaw']],
]);

/**
 * Bytes per sample and codec. NONE (big-endian) and sowt (little-endian) store integers of
 * COMM's sample size in whole bytes (a 12-bit sample takes two).
 */
function sampleFormat(compressionType: string, sampleSize: number): [number, string] | undefined {
  if (compressionType === 'NONE' || compressionType === 'sowt') {
    const bytes = Math.ceil(sampleSize / 8);
    const endian = compressionType === 'sowt' ? 'le' : 'be';
    return [bytes, bytes === 1 ? 'pcm_s8' : `pcm_s${bytes * 8}${endian}`];
  }
  return FIXED_SIZE_COMPRESSIONS.get(compressionType);
}

/** The 80-bit IEEE 754 extended-precision number of COMM's sample rate (explicit integer bit). */
export function extended80(bytes: Uint8Array, at: number): number {
  const sign = u8(bytes, at) & 0x80 ? -1 : 1;
  const exponent = u16be(bytes, at) & 0x7fff;
  if (exponent === 0x7fff) return Number.NaN;
  const high = u32be(bytes, at + 2);
  const low = u32be(bytes, at + 6);
  return sign * (high * 2 ** (exponent - 16383 - 31) + low * 2 ** (exponent - 16383 - 63));
}

interface Common {
  channels: number;
  sampleFrames: number;
  sampleRate: number;
  frameBytes: number;
  codec: string;
}

function parseCommon(body: Uint8Array, aifc: boolean): Common {
  const channels = i16be(body, 0);
  const sampleFrames = u32be(body, 2);
  const sampleSize = i16be(body, 6);
  const sampleRate = extended80(body, 8);
  const compressionType = aifc ? ascii(body, 18, 4) : 'NONE';
  const format = sampleFormat(compressionType, sampleSize);
  if (!format) throw new NotAudioError(`AIFF-C file with compression "${compressionType}"`);
  if (channels < 1) throw new NotAudioError(`AIFF file with ${channels} channels`);
  const maxSampleSize = compressionType.toLowerCase() === 'fl64' ? 64 : 32;
  if (sampleSize < 1 || sampleSize > maxSampleSize) {
    throw new NotAudioError(`AIFF file with ${sampleSize}-bit samples`);
  }
  if (!(sampleRate >= 1 && sampleRate <= MAX_SAMPLE_RATE)) {
    throw new NotAudioError(`AIFF file with a sample rate of ${sampleRate} Hz`);
  }
  return {
    channels,
    sampleFrames,
    sampleRate,
    frameBytes: channels * format[0],
    codec: format[1],
  };
}

export async function verifyAiff(reader: ByteReader): Promise<AudioInfo> {
  const header = await reader.need(0, FORM_HEADER_BYTES, 'AIFF file shorter than its header');
  const formType = ascii(header, 8, 4);
  if (ascii(header, 0, 4) !== 'FORM' || (formType !== 'AIFF' && formType !== 'AIFC')) {
    throw new NotAudioError('The file is not an AIFF file');
  }
  const aifc = formType === 'AIFC';
  const countChunk = structureCounter(MAX_STRUCTURES, 'AIFF chunks');
  let common: Common | undefined;
  /** The sound data: where its samples start (after SSND's offset field) and where it ends. */
  let samples: { start: number; end: number } | undefined;
  let offset = FORM_HEADER_BYTES;
  while ((!common || !samples) && offset + CHUNK_HEADER_BYTES <= reader.size) {
    countChunk();
    const chunk = await reader.read(offset, CHUNK_HEADER_BYTES);
    const id = ascii(chunk, 0, 4);
    const size = u32be(chunk, 4);
    const body = offset + CHUNK_HEADER_BYTES;
    if (id === 'COMM') {
      const length = aifc ? 22 : 18;
      if (size < length) throw new NotAudioError('AIFF COMM chunk too short');
      common = parseCommon(await reader.need(body, length, 'AIFF COMM chunk cut short'), aifc);
    } else if (id === 'SSND') {
      if (size < 8) throw new NotAudioError('AIFF SSND chunk too short');
      // offset (to the first sample), blockSize.
      const dataOffset = u32be(await reader.need(body, 8, 'AIFF SSND chunk cut short'), 0);
      samples = { start: body + 8 + dataOffset, end: Math.min(body + size, reader.size) };
    }
    // Chunks are padded to an even length.
    offset = body + size + (size % 2);
  }
  if (!common) throw new NotAudioError('AIFF file without a COMM chunk');
  if (!samples) throw new NotAudioError('AIFF file without an SSND chunk');
  const framesPresent = Math.floor(Math.max(0, samples.end - samples.start) / common.frameBytes);
  if (framesPresent < 1)
    throw new NotAudioError('AIFF SSND chunk without a single whole sample frame');
  const ms = (Math.min(common.sampleFrames, framesPresent) / common.sampleRate) * 1000;
  return {
    format: 'aiff',
    contentType: 'audio/aiff',
    codec: common.codec,
    sampleRate: common.sampleRate,
    channels: common.channels,
    durationMs: clampDurationMs(ms, (framesPresent / common.sampleRate) * 1000),
  };
}

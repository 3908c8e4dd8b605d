import { ascii, u8, u16be, u24be, u32be } from './bytes.ts';
import { crc8, crc16Step } from './crc.ts';
import { clampDurationMs, compressedLimitMs } from './duration.ts';
import { MAX_METADATA_BLOCKS, structureCounter } from './limits.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError } from './types.ts';

/** Native FLAC (RFC 9639): "fLaC", metadata blocks, then frames. */

export const STREAMINFO_BYTES = 34;
const BLOCK_HEADER_BYTES = 4;
const STREAMINFO = 0;
const FORBIDDEN_BLOCK_TYPE = 127;
/** A frame header is at most 16 bytes: 4, a coded number of up to 7, 2 + 2 uncommon fields, CRC-8. */
const MAX_FRAME_HEADER_BYTES = 16;
/** The next frame header is looked for within max(STREAMINFO's maximum frame size, this). */
const MIN_FRAME_SEARCH_BYTES = 1024 * 1024;
const SCAN_CHUNK_BYTES = 64 * 1024;

export interface StreamInfo {
  maxFrameSize: number;
  sampleRate: number;
  channels: number;
  /** 0 when unknown. */
  totalSamples: number;
}

/** RFC 9639 §8.2. */
export function parseStreamInfo(bytes: Uint8Array): StreamInfo {
  const minBlockSize = u16be(bytes, 0);
  const maxBlockSize = u16be(bytes, 2);
  const sampleRate = (u24be(bytes, 10) >> 4) & 0xfffff;
  const channels = ((u8(bytes, 12) >> 1) & 7) + 1;
  const bitsPerSample = (((u8(bytes, 12) & 1) << 4) | (u8(bytes, 13) >> 4)) + 1;
  const totalSamples = (u8(bytes, 13) & 0xf) * 2 ** 32 + u32be(bytes, 14);
  if (minBlockSize < 16 || maxBlockSize < minBlockSize) {
    throw new NotAudioError('FLAC STREAMINFO with invalid block sizes');
  }
  if (sampleRate === 0) throw new NotAudioError('FLAC STREAMINFO with a sample rate of 0');
  if (bitsPerSample < 4)
    throw new NotAudioError(`FLAC STREAMINFO with ${bitsPerSample}-bit samples`);
  return { maxFrameSize: u24be(bytes, 7), sampleRate, channels, totalSamples };
}

/** Channel assignments 0-7 are 1-8 independent channels, 8-10 stereo decorrelations, 11-15 reserved. */
function frameChannels(assignment: number): number | undefined {
  if (assignment <= 7) return assignment + 1;
  return assignment <= 10 ? 2 : undefined;
}

/**
 * The length of the frame header at `at` (RFC 9639 §9.1), or undefined when the bytes there
 * are not a frame header of this stream: sync code and blocking strategy, no reserved codes,
 * the coded number well-formed, the channel count of STREAMINFO, and a correct CRC-8.
 */
export function flacFrameHeaderLength(
  bytes: Uint8Array,
  at: number,
  info: StreamInfo,
): number | undefined {
  if (at < 0 || at + 5 > bytes.length) return undefined;
  const byte = (i: number) => u8(bytes, at + i);
  if (byte(0) !== 0xff || (byte(1) & 0xfe) !== 0xf8) return undefined;
  const blockSizeBits = byte(2) >> 4;
  const sampleRateBits = byte(2) & 0xf;
  const bitDepthBits = (byte(3) >> 1) & 7;
  if (blockSizeBits === 0 || sampleRateBits === 0xf) return undefined;
  if (frameChannels(byte(3) >> 4) !== info.channels) return undefined;
  if (bitDepthBits === 3 || (byte(3) & 1) !== 0) return undefined;
  // The coded frame or sample number: UTF-8-like, 1 to 7 bytes.
  const lead = byte(4);
  const numberBytes = lead < 0x80 ? 1 : lead >= 0xc0 && lead <= 0xfe ? Math.clz32(~lead << 24) : 0;
  if (numberBytes === 0 || at + 4 + numberBytes > bytes.length) return undefined;
  for (let i = 5; i < 4 + numberBytes; i++) if ((byte(i) & 0xc0) !== 0x80) return undefined;
  const uncommonBlockSize = blockSizeBits === 6 ? 1 : blockSizeBits === 7 ? 2 : 0;
  const uncommonSampleRate = sampleRateBits === 12 ? 1 : sampleRateBits >= 13 ? 2 : 0;
  const crcAt = 4 + numberBytes + uncommonBlockSize + uncommonSampleRate;
  if (at + crcAt >= bytes.length) return undefined;
  if (crc8(bytes.subarray(at, at + crcAt)) !== byte(crcAt)) return undefined;
  return crcAt + 1;
}

export async function verifyFlac(reader: ByteReader, start: number): Promise<AudioInfo> {
  // "fLaC", then STREAMINFO as the first metadata block (§8).
  const head = await reader.need(start, 8 + STREAMINFO_BYTES, 'FLAC file shorter than its header');
  if (ascii(head, 0, 4) !== 'fLaC') throw new NotAudioError('The file is not a FLAC file');
  if ((u8(head, 4) & 0x7f) !== STREAMINFO || u24be(head, 5) !== STREAMINFO_BYTES) {
    throw new NotAudioError('FLAC file that does not start with STREAMINFO');
  }
  const info = parseStreamInfo(head.subarray(8));
  // The other blocks are skipped by their lengths.
  const countBlock = structureCounter(MAX_METADATA_BLOCKS, 'FLAC metadata blocks');
  let offset = start + 8 + STREAMINFO_BYTES;
  for (let last = (u8(head, 4) & 0x80) !== 0; !last; ) {
    countBlock();
    const header = await reader.need(offset, BLOCK_HEADER_BYTES, 'FLAC metadata cut short');
    last = (u8(header, 0) & 0x80) !== 0;
    const type = u8(header, 0) & 0x7f;
    if (type === STREAMINFO || type === FORBIDDEN_BLOCK_TYPE) {
      throw new NotAudioError(`FLAC metadata block of a type not allowed there (${type})`);
    }
    offset += BLOCK_HEADER_BYTES + u24be(header, 1);
  }
  await verifyFirstFrame(reader, offset, info);
  const ms = info.totalSamples === 0 ? null : (info.totalSamples / info.sampleRate) * 1000;
  return {
    format: 'flac',
    contentType: 'audio/flac',
    codec: 'flac',
    sampleRate: info.sampleRate,
    channels: info.channels,
    durationMs: clampDurationMs(ms, compressedLimitMs(reader.size - offset)),
  };
}

/**
 * The first frame is whole and intact: its header is valid, and its CRC-16 (over the whole
 * frame, its own CRC field included, so the running value is 0 at its end; §9.3) holds up to
 * the next frame header, found within max(maxFrameSize, 1 MiB), or up to the end of the file.
 */
async function verifyFirstFrame(reader: ByteReader, frameStart: number, info: StreamInfo) {
  const head = await reader.read(frameStart, MAX_FRAME_HEADER_BYTES);
  const headerLength = flacFrameHeaderLength(head, 0, info);
  if (headerLength === undefined)
    throw new NotAudioError('No valid FLAC frame follows the metadata');
  const searchEnd = Math.min(
    reader.size,
    frameStart + Math.max(info.maxFrameSize, MIN_FRAME_SEARCH_BYTES),
  );
  // Shortest frame: header, one byte of subframe, CRC-16.
  const earliestNext = frameStart + headerLength + 3;
  let crc = 0;
  for (let offset = frameStart; offset < searchEnd; ) {
    const chunk = await reader.read(offset, Math.min(SCAN_CHUNK_BYTES, searchEnd - offset));
    let position = offset;
    for (const byte of chunk) {
      if (crc === 0 && byte === 0xff && position >= earliestNext) {
        const next = await reader.read(position, MAX_FRAME_HEADER_BYTES);
        if (flacFrameHeaderLength(next, 0, info) !== undefined && u8(next, 1) === u8(head, 1))
          return;
      }
      crc = crc16Step(crc, byte);
      position += 1;
    }
    offset += chunk.length;
  }
  if (searchEnd === reader.size && crc === 0) return;
  throw new NotAudioError(
    searchEnd === reader.size
      ? 'FLAC file whose first frame is cut short or corrupt'
      : 'FLAC file without a second frame where one must be',
  );
}

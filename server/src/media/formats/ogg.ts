import { ascii, i64le, u8, u16be, u16le, u24be, u32le } from './bytes.ts';
import { crc32 } from './crc.ts';
import { clampDurationMs, compressedLimitMs } from './duration.ts';
import {
  flacFrameHeaderLength,
  parseStreamInfo,
  STREAMINFO_BYTES,
  type StreamInfo,
} from './flac.ts';
import { MAX_STRUCTURES, structureCounter } from './limits.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError } from './types.ts';

/**
 * Ogg (RFC 3533) holding Vorbis (Vorbis I specification §4.2 and appendix A), Opus (RFC 7845)
 * or FLAC (the Ogg FLAC mapping, RFC 9639 §10.1). The comment and setup header packets are
 * skipped by the pages' lacing values, never parsed.
 */

const PAGE_HEADER_BYTES = 27;
const MAX_PAGE_HEADER_BYTES = PAGE_HEADER_BYTES + 255;
const CONTINUED = 0x01;
const BOS = 0x02;
const EOS = 0x04;
/** No packet ends on the page. */
const NO_GRANULE = -1n;
/** The last page lies within the file's last this many bytes (a page is at most 65,307). */
const TAIL_BYTES = 64 * 1024;
/** Candidate last pages whose CRC is computed, at most (false "OggS" in packet data cost one each). */
const MAX_TAIL_CANDIDATES = 64;
const OPUS_RATE = 48000;

interface PageHeader {
  flags: number;
  granule: bigint;
  serial: number;
  lacing: Uint8Array;
  headerLength: number;
  /** Header and body. */
  length: number;
}

/** The page header at `at` (RFC 3533 §6), or undefined when the bytes there are not one. */
function parsePageHeader(bytes: Uint8Array, at: number): PageHeader | undefined {
  if (at + PAGE_HEADER_BYTES > bytes.length || ascii(bytes, at, 4) !== 'OggS') return undefined;
  const flags = u8(bytes, at + 5);
  if (u8(bytes, at + 4) !== 0 || (flags & ~(CONTINUED | BOS | EOS)) !== 0) return undefined;
  const headerLength = PAGE_HEADER_BYTES + u8(bytes, at + 26);
  if (at + headerLength > bytes.length) return undefined;
  const lacing = bytes.subarray(at + PAGE_HEADER_BYTES, at + headerLength);
  const bodyLength = lacing.reduce((sum, value) => sum + value, 0);
  return {
    flags,
    granule: i64le(bytes, at + 6),
    serial: u32le(bytes, at + 14),
    lacing,
    headerLength,
    length: headerLength + bodyLength,
  };
}

/** The CRC-32 of the whole page, computed with its own CRC field as zeros. */
function crcIntact(page: Uint8Array): boolean {
  let crc = crc32(page.subarray(0, 22));
  crc = crc32(new Uint8Array(4), crc);
  crc = crc32(page.subarray(26), crc);
  return crc === u32le(page, 22);
}

async function readPageHeader(reader: ByteReader, offset: number): Promise<PageHeader> {
  const bytes = await reader.read(offset, MAX_PAGE_HEADER_BYTES);
  const header = parsePageHeader(bytes, 0);
  if (header) return header;
  const whole =
    bytes.length >= PAGE_HEADER_BYTES && bytes.length >= PAGE_HEADER_BYTES + u8(bytes, 26);
  throw new NotAudioError(
    whole ? `Ogg file without a page where one must start (byte ${offset})` : 'Ogg page cut short',
  );
}

/** The page's body, once its CRC is checked. */
async function readPageBody(
  reader: ByteReader,
  offset: number,
  header: PageHeader,
): Promise<Uint8Array> {
  const page = await reader.need(offset, header.length, 'Ogg page cut short');
  if (!crcIntact(page)) throw new NotAudioError('Ogg page with a wrong CRC');
  return page.subarray(header.headerLength);
}

/** Packets ending on the page: a lacing value below 255 ends one. */
function packetEnds(lacing: Uint8Array): number {
  return lacing.filter((value) => value < 255).length;
}

interface Codec {
  codec: 'vorbis' | 'opus' | 'flac';
  sampleRate: number;
  channels: number;
  /** Header packets, the identification header included. */
  headerPackets: number;
  /** Granule positions count samples at this rate... */
  granuleRate: number;
  /** ...after this many (Opus pre-skip). */
  preSkip: number;
  /** For FLAC, to check the first audio packet's frame header. */
  streamInfo?: StreamInfo;
}

/** Vorbis I §4.2.2. */
function vorbisCodec(packet: Uint8Array): Codec {
  if (packet.length < 30) throw new NotAudioError('Ogg Vorbis identification header too short');
  const channels = u8(packet, 11);
  const sampleRate = u32le(packet, 12);
  const blockSize0 = u8(packet, 28) & 0xf;
  const blockSize1 = u8(packet, 28) >> 4;
  const valid =
    u32le(packet, 7) === 0 &&
    channels > 0 &&
    sampleRate > 0 &&
    blockSize0 >= 6 &&
    blockSize0 <= blockSize1 &&
    blockSize1 <= 13 &&
    (u8(packet, 29) & 1) === 1;
  if (!valid) throw new NotAudioError('Ogg Vorbis identification header with invalid fields');
  return {
    codec: 'vorbis',
    sampleRate,
    channels,
    headerPackets: 3,
    granuleRate: sampleRate,
    preSkip: 0,
  };
}

/** RFC 7845 §5.1. */
function opusCodec(packet: Uint8Array): Codec {
  if (packet.length < 19) throw new NotAudioError('Ogg Opus identification header too short');
  const channels = u8(packet, 9);
  const family = u8(packet, 18);
  // Versions 0-15 share major version 0 (§5.1, item 2).
  if (u8(packet, 8) >> 4 !== 0 || channels === 0) {
    throw new NotAudioError('Ogg Opus identification header with invalid fields');
  }
  if (family === 0) {
    if (channels > 2) throw new NotAudioError('Ogg Opus family 0 with more than 2 channels');
  } else if (family === 1 || family === 2 || family === 255) {
    // §5.1.1: stream count N >= 1, coupled count M <= N, N + M <= 255, then one mapping
    // byte per channel, each below N + M or 255 (silence). Family 1 has at most 8 channels.
    if (packet.length < 21 + channels)
      throw new NotAudioError('Ogg Opus channel mapping cut short');
    const streams = u8(packet, 19);
    const coupled = u8(packet, 20);
    const mapping = packet.subarray(21, 21 + channels);
    const valid =
      streams >= 1 &&
      coupled <= streams &&
      streams + coupled <= 255 &&
      (family !== 1 || channels <= 8) &&
      mapping.every((index) => index < streams + coupled || index === 255);
    if (!valid) throw new NotAudioError('Ogg Opus channel mapping with invalid fields');
  } else {
    throw new NotAudioError(`Ogg Opus with channel mapping family ${family}`);
  }
  return {
    codec: 'opus',
    sampleRate: OPUS_RATE,
    channels,
    headerPackets: 2,
    granuleRate: OPUS_RATE,
    preSkip: u16le(packet, 10),
  };
}

/** RFC 9639 §10.1: 0x7F "FLAC", version 1.x, the count of header packets that follow, "fLaC", STREAMINFO. */
function flacCodec(packet: Uint8Array): Codec {
  if (packet.length < 13 + 4 + STREAMINFO_BYTES)
    throw new NotAudioError('Ogg FLAC header too short');
  const followingHeaders = u16be(packet, 7);
  const valid =
    u8(packet, 5) === 1 &&
    ascii(packet, 9, 4) === 'fLaC' &&
    (u8(packet, 13) & 0x7f) === 0 &&
    u24be(packet, 14) === STREAMINFO_BYTES;
  if (!valid) throw new NotAudioError('Ogg FLAC header with invalid fields');
  // 0 means "unknown": the audio could then only be told from the headers by parsing them.
  if (followingHeaders === 0)
    throw new NotAudioError('Ogg FLAC stream without a count of its headers');
  const streamInfo = parseStreamInfo(packet.subarray(17, 17 + STREAMINFO_BYTES));
  return {
    codec: 'flac',
    sampleRate: streamInfo.sampleRate,
    channels: streamInfo.channels,
    headerPackets: 1 + followingHeaders,
    granuleRate: streamInfo.sampleRate,
    preSkip: 0,
    streamInfo,
  };
}

/** The codec of a stream from its identification packet; undefined for others (Speex, Theora, ...). */
function identify(packet: Uint8Array): Codec | undefined {
  if (ascii(packet, 0, 7) === '\x01vorbis') return vorbisCodec(packet);
  if (ascii(packet, 0, 8) === 'OpusHead') return opusCodec(packet);
  if (ascii(packet, 0, 5) === '\x7fFLAC') return flacCodec(packet);
  return undefined;
}

/** The first packet of a BOS page, which must end on it (RFC 3533 §4). */
function firstPacket(header: PageHeader, body: Uint8Array): Uint8Array {
  let length = 0;
  for (const value of header.lacing) {
    length += value;
    if (value < 255) return body.subarray(0, length);
  }
  throw new NotAudioError('Ogg stream whose identification header does not end on its first page');
}

/** The first audio packet's first bytes say it is one: Vorbis packet type 0, a FLAC frame header. */
function checkFirstAudioPacket(codec: Codec, packet: Uint8Array) {
  if (packet.length === 0) throw new NotAudioError('Ogg stream whose first audio packet is empty');
  const valid =
    codec.codec === 'opus' ||
    (codec.codec === 'vorbis' && (u8(packet, 0) & 1) === 0) ||
    (codec.streamInfo !== undefined &&
      flacFrameHeaderLength(packet, 0, codec.streamInfo) !== undefined);
  if (!valid)
    throw new NotAudioError(`Ogg ${codec.codec} stream whose first audio packet is not audio`);
}

interface Stream {
  serial: number;
  codec: Codec;
  /** Header packets not yet ended by the pages walked so far. */
  headerPacketsLeft: number;
}

export async function verifyOgg(reader: ByteReader): Promise<AudioInfo> {
  const countPage = structureCounter(MAX_STRUCTURES, 'Ogg pages');
  let offset = 0;
  let header = await readPageHeader(reader, offset);
  if ((header.flags & BOS) === 0) throw new NotAudioError('Ogg file that does not start a stream');
  // RFC 3533 §4: the BOS pages of all the logical streams come first, one packet each.
  let stream: Stream | undefined;
  while ((header.flags & BOS) !== 0) {
    countPage();
    if (!stream) {
      const codec = identify(firstPacket(header, await readPageBody(reader, offset, header)));
      // The Vorbis, Opus and FLAC mappings put the identification header alone on its page.
      if (codec && packetEnds(header.lacing) !== 1) {
        throw new NotAudioError(
          `Ogg ${codec.codec} stream whose first page holds more than its header`,
        );
      }
      if (codec)
        stream = { serial: header.serial, codec, headerPacketsLeft: codec.headerPackets - 1 };
    }
    offset += header.length;
    if (offset >= reader.size)
      throw new NotAudioError('Ogg file with nothing after its first pages');
    header = await readPageHeader(reader, offset);
  }
  if (!stream) throw new NotAudioError('Ogg file without a Vorbis, Opus or FLAC stream');

  const firstAudioPage = await findFirstAudioPage(reader, offset, header, stream, countPage);
  const { codec } = stream;
  const lastGranule = await lastGranulePosition(reader, stream.serial);
  const seconds =
    lastGranule === undefined ? null : (Number(lastGranule) - codec.preSkip) / codec.granuleRate;
  return {
    format: 'ogg',
    contentType: codec.codec === 'opus' ? 'audio/ogg; codecs=opus' : 'audio/ogg',
    codec: codec.codec,
    sampleRate: codec.sampleRate,
    channels: codec.channels,
    durationMs: clampDurationMs(
      seconds === null ? null : seconds * 1000,
      compressedLimitMs(reader.size - firstAudioPage),
    ),
  };
}

/**
 * Walks the pages after the BOS pages, from `offset` where `header` was read, to the stream's
 * first audio page. Header pages are passed by their lacing values alone; the page where the
 * first audio packet starts, and the first one with a granule position (often the same), are
 * read whole and their CRCs checked. Returns the offset of the first.
 */
async function findFirstAudioPage(
  reader: ByteReader,
  offset: number,
  header: PageHeader,
  stream: Stream,
  countPage: () => void,
): Promise<number> {
  let firstAudioPage: number | undefined;
  for (;;) {
    countPage();
    if (header.serial === stream.serial) {
      let audioStart: number | undefined;
      if (firstAudioPage === undefined) {
        let segment = 0;
        let bytes = 0;
        for (; segment < header.lacing.length && stream.headerPacketsLeft > 0; segment++) {
          const value = header.lacing[segment] ?? 0;
          bytes += value;
          if (value < 255) stream.headerPacketsLeft -= 1;
        }
        if (stream.headerPacketsLeft === 0 && segment < header.lacing.length) audioStart = bytes;
      }
      if (audioStart !== undefined || firstAudioPage !== undefined) {
        const body = await readPageBody(reader, offset, header);
        if (audioStart !== undefined) {
          if (audioStart === 0 && (header.flags & CONTINUED) !== 0) {
            throw new NotAudioError('Ogg audio page that continues a header packet');
          }
          checkFirstAudioPacket(stream.codec, body.subarray(audioStart));
          firstAudioPage = offset;
        }
        if (firstAudioPage !== undefined && header.granule !== NO_GRANULE) return firstAudioPage;
      }
    }
    offset += header.length;
    if (offset >= reader.size) {
      throw new NotAudioError(`Ogg ${stream.codec.codec} stream without audio pages`);
    }
    header = await readPageHeader(reader, offset);
  }
}

/**
 * The granule position of the stream's last page: the last page in the file's last 64 KiB with
 * a valid CRC, that serial number and a granule position.
 */
async function lastGranulePosition(
  reader: ByteReader,
  serial: number,
): Promise<bigint | undefined> {
  const tailStart = Math.max(0, reader.size - TAIL_BYTES);
  const tail = await reader.read(tailStart, reader.size - tailStart);
  let candidates = 0;
  for (let at = tail.length - PAGE_HEADER_BYTES; at >= 0; at--) {
    const header = u8(tail, at) === 0x4f ? parsePageHeader(tail, at) : undefined;
    if (!header || header.serial !== serial || header.granule === NO_GRANULE) continue;
    if (at + header.length > tail.length) continue;
    candidates += 1;
    if (candidates > MAX_TAIL_CANDIDATES) return undefined;
    if (crcIntact(tail.subarray(at, at + header.length))) return header.granule;
  }
  return undefined;
}

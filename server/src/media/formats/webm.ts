import { ascii, f32be, f64be, u8, uintBe } from './bytes.ts';
import { clampDurationMs, compressedLimitMs } from './duration.ts';
import { MAX_STRUCTURES, structureCounter } from './limits.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError } from './types.ts';

/**
 * WebM: EBML (RFC 8794) with DocType "webm", laid out as Matroska (RFC 9559). Only the EBML
 * header, Info, Tracks and the first Cluster's blocks are read; SeekHead, Cues, Tags,
 * Attachments, Chapters, Void and CRC-32 are skipped by their sizes.
 */

const EBML = 0x1a45dfa3;
const DOC_TYPE = 0x4282;
const EBML_READ_VERSION = 0x42f7;
const EBML_MAX_ID_LENGTH = 0x42f2;
const EBML_MAX_SIZE_LENGTH = 0x42f3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMESTAMP_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const TRACK_NUMBER = 0xd7;
const TRACK_TYPE = 0x83;
const CODEC_ID = 0x86;
const AUDIO = 0xe1;
const SAMPLING_FREQUENCY = 0xb5;
const CHANNELS = 0x9f;
const BIT_DEPTH = 0x6264;
const CLUSTER = 0x1f43b675;
const SIMPLE_BLOCK = 0xa3;
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
const VOID = 0xec;
/** What a Cluster holds (RFC 9559): an unknown-size Cluster ends at the first other element. */
const CLUSTER_CHILDREN = new Set([
  0xe7,
  0x5854,
  0xa7,
  0xab,
  SIMPLE_BLOCK,
  BLOCK_GROUP,
  0xaf,
  VOID,
  0xbf,
]);

const AUDIO_TRACK = 2;
/** RFC 9559 defaults. */
const DEFAULT_TIMESTAMP_SCALE = 1_000_000;
const DEFAULT_SAMPLING_FREQUENCY = 8000;
const DEFAULT_CHANNELS = 1;
/** Strings read (DocType, CodecID) are short; a longer one is not what it claims. */
const MAX_STRING_BYTES = 64;
const MAX_ELEMENT_HEADER_BYTES = 4 + 8;

interface Element {
  id: number;
  dataStart: number;
  /** Undefined for the reserved "unknown size" (all value bits set), allowed for Segment and Cluster. */
  size: number | undefined;
  /** Where its data ends, if its size is known. */
  end: number | undefined;
}

/** The length of a variable-size integer from its first byte (RFC 8794 §4): 1 to 8, or 0. */
function vintLength(first: number): number {
  return first === 0 ? 0 : Math.clz32(first) - 23;
}

/** A vint's value without its length marker; undefined when all its value bits are set. */
function vintValue(bytes: Uint8Array, at: number, length: number): number | undefined {
  const first = u8(bytes, at) & (0xff >> length);
  const allOnes =
    first === 0xff >> length && bytes.subarray(at + 1, at + length).every((b) => b === 0xff);
  return allOnes ? undefined : first * 256 ** (length - 1) + uintBe(bytes, at + 1, length - 1);
}

async function readElement(reader: ByteReader, offset: number): Promise<Element> {
  const bytes = await reader.read(offset, MAX_ELEMENT_HEADER_BYTES);
  const idLength = bytes.length > 0 ? vintLength(u8(bytes, 0)) : 0;
  const sizeLength = bytes.length > idLength ? vintLength(u8(bytes, idLength)) : 0;
  if (idLength === 0 || idLength > 4 || sizeLength === 0 || idLength + sizeLength > bytes.length) {
    throw new NotAudioError(
      `WebM file without a valid element where one must start (byte ${offset})`,
    );
  }
  const dataStart = offset + idLength + sizeLength;
  const size = vintValue(bytes, idLength, sizeLength);
  return {
    id: uintBe(bytes, 0, idLength),
    dataStart,
    size,
    end: size === undefined ? undefined : dataStart + size,
  };
}

/**
 * The children of a known-size element, each counted. `end` is clamped to the file, so a
 * truncated parent yields the children that are there.
 */
async function* children(
  reader: ByteReader,
  parent: Element,
  count: () => void,
): AsyncGenerator<Element & { end: number }> {
  const end = Math.min(parent.end ?? reader.size, reader.size);
  for (let offset = parent.dataStart; offset < end; ) {
    count();
    const child = await readElement(reader, offset);
    if (child.end === undefined) throw new NotAudioError('WebM element of unknown size');
    yield { ...child, end: child.end };
    offset = child.end;
  }
}

async function readUint(reader: ByteReader, element: Element): Promise<number> {
  const size = element.size ?? 0;
  if (size > 8) throw new NotAudioError('WebM integer longer than 8 bytes');
  return uintBe(await reader.need(element.dataStart, size, 'WebM element cut short'), 0, size);
}

async function readFloat(reader: ByteReader, element: Element): Promise<number> {
  const size = element.size ?? 0;
  if (size !== 0 && size !== 4 && size !== 8)
    throw new NotAudioError('WebM float of a size other than 4 or 8');
  const bytes = await reader.need(element.dataStart, size, 'WebM element cut short');
  return size === 0 ? 0 : size === 4 ? f32be(bytes, 0) : f64be(bytes, 0);
}

async function readString(reader: ByteReader, element: Element): Promise<string> {
  const size = element.size ?? 0;
  if (size > MAX_STRING_BYTES) throw new NotAudioError('WebM string too long');
  // Strings may be padded with NULs (RFC 8794 §7.4).
  return ascii(
    await reader.need(element.dataStart, size, 'WebM element cut short'),
    0,
    size,
  ).replace(/\0+$/, '');
}

/** The codec of an audio track by its CodecID (RFC 9559 codec mappings); undefined if not accepted. */
function codecName(codecId: string, bitDepth: number | undefined): string | undefined {
  if (codecId === 'A_OPUS') return 'opus';
  if (codecId === 'A_VORBIS') return 'vorbis';
  if (codecId === 'A_FLAC') return 'flac';
  if (codecId === 'A_MPEG/L3') return 'mp3';
  if (codecId === 'A_AAC' || codecId.startsWith('A_AAC/')) return 'aac';
  if (bitDepth === undefined || bitDepth % 8 !== 0 || bitDepth < 8 || bitDepth > 64)
    return undefined;
  if (codecId === 'A_PCM/INT/LIT') return bitDepth === 8 ? 'pcm_u8' : `pcm_s${bitDepth}le`;
  if (codecId === 'A_PCM/INT/BIG') return bitDepth === 8 ? 'pcm_s8' : `pcm_s${bitDepth}be`;
  if (codecId === 'A_PCM/FLOAT/IEEE' && (bitDepth === 32 || bitDepth === 64))
    return `pcm_f${bitDepth}le`;
  return undefined;
}

/**
 * EBML header elements (RFC 8794) that a reader of EBML version 1, with IDs up to 4 bytes and
 * sizes up to 8, must find within its limits.
 */
const READER_LIMITS = new Map([
  [EBML_READ_VERSION, 1],
  [EBML_MAX_ID_LENGTH, 4],
  [EBML_MAX_SIZE_LENGTH, 8],
]);

async function readDocType(
  reader: ByteReader,
  header: Element,
  count: () => void,
): Promise<string> {
  let docType = '';
  for await (const child of children(reader, header, count)) {
    if (child.id === DOC_TYPE) docType = await readString(reader, child);
    const limit = READER_LIMITS.get(child.id);
    if (limit !== undefined && (await readUint(reader, child)) > limit) {
      throw new NotAudioError('EBML file that needs a newer reader');
    }
  }
  return docType;
}

interface Timing {
  timestampScale: number;
  /** In TimestampScale units. */
  duration: number | undefined;
}

async function readInfo(reader: ByteReader, info: Element, count: () => void): Promise<Timing> {
  const timing: Timing = { timestampScale: DEFAULT_TIMESTAMP_SCALE, duration: undefined };
  for await (const child of children(reader, info, count)) {
    if (child.id === TIMESTAMP_SCALE) timing.timestampScale = await readUint(reader, child);
    if (child.id === DURATION) timing.duration = await readFloat(reader, child);
  }
  return timing;
}

interface AudioTrack {
  number: number;
  codec: string;
  sampleRate: number;
  channels: number;
}

/** The first audio track in an accepted codec. */
async function readTracks(
  reader: ByteReader,
  tracks: Element,
  count: () => void,
): Promise<AudioTrack> {
  const codecIds: string[] = [];
  for await (const entry of children(reader, tracks, count)) {
    if (entry.id !== TRACK_ENTRY) continue;
    let number = 0;
    let type = 0;
    let codecId = '';
    let sampleRate = DEFAULT_SAMPLING_FREQUENCY;
    let channels = DEFAULT_CHANNELS;
    let bitDepth: number | undefined;
    for await (const field of children(reader, entry, count)) {
      if (field.id === TRACK_NUMBER) number = await readUint(reader, field);
      if (field.id === TRACK_TYPE) type = await readUint(reader, field);
      if (field.id === CODEC_ID) codecId = await readString(reader, field);
      if (field.id !== AUDIO) continue;
      for await (const audio of children(reader, field, count)) {
        if (audio.id === SAMPLING_FREQUENCY) sampleRate = await readFloat(reader, audio);
        if (audio.id === CHANNELS) channels = await readUint(reader, audio);
        if (audio.id === BIT_DEPTH) bitDepth = await readUint(reader, audio);
      }
    }
    if (type !== AUDIO_TRACK) continue;
    const codec = codecName(codecId, bitDepth);
    if (codec && number > 0 && sampleRate > 0 && channels > 0)
      return { number, codec, sampleRate, channels };
    codecIds.push(codecId);
  }
  throw new NotAudioError(
    codecIds.length === 0
      ? 'WebM file without an audio track'
      : `WebM audio track in a codec the service does not accept (${codecIds.join(', ')})`,
  );
}

/**
 * Whether a SimpleBlock or Block (RFC 9559, block structure) is of `trackNumber` and holds at least one
 * byte of frame data: track number (a vint), 16-bit timestamp, flags, a frame count if laced.
 */
async function blockHasFrame(
  reader: ByteReader,
  block: Element & { end: number },
  trackNumber: number,
) {
  const head = await reader.read(block.dataStart, Math.min(block.end - block.dataStart, 8 + 3 + 1));
  const trackLength = head.length > 0 ? vintLength(u8(head, 0)) : 0;
  if (trackLength === 0 || trackLength + 3 > head.length)
    throw new NotAudioError('WebM block cut short');
  if (vintValue(head, 0, trackLength) !== trackNumber) return false;
  const laced = (u8(head, trackLength + 2) & 0x06) !== 0;
  const headerLength = trackLength + 3 + (laced ? 1 : 0);
  await reader.need(block.dataStart, headerLength + 1, 'WebM block without frame data');
  return block.end - block.dataStart > headerLength;
}

/**
 * Looks through a Cluster for a block of the audio track. Returns whether one was found, and
 * where the cluster ends (for an unknown-size cluster: where the first element that cannot be
 * its child starts).
 */
async function findAudioBlock(
  reader: ByteReader,
  cluster: Element,
  segmentEnd: number,
  trackNumber: number,
  count: () => void,
): Promise<{ found: boolean; end: number }> {
  const end = Math.min(cluster.end ?? segmentEnd, segmentEnd);
  for (let offset = cluster.dataStart; offset < end; ) {
    count();
    const child = await readElement(reader, offset);
    if (cluster.end === undefined && !CLUSTER_CHILDREN.has(child.id))
      return { found: false, end: offset };
    if (child.end === undefined) throw new NotAudioError('WebM element of unknown size');
    const block = { ...child, end: child.end };
    if (child.id === SIMPLE_BLOCK && (await blockHasFrame(reader, block, trackNumber))) {
      return { found: true, end };
    }
    if (child.id === BLOCK_GROUP) {
      for await (const member of children(reader, block, count)) {
        if (member.id === BLOCK && (await blockHasFrame(reader, member, trackNumber)))
          return { found: true, end };
      }
    }
    offset = child.end;
  }
  return { found: false, end };
}

export async function verifyWebm(reader: ByteReader): Promise<AudioInfo> {
  const count = structureCounter(MAX_STRUCTURES, 'WebM elements');
  const header = await readElement(reader, 0);
  if (header.id !== EBML || header.end === undefined)
    throw new NotAudioError('The file is not an EBML file');
  const docType = await readDocType(reader, header, count);
  if (docType !== 'webm') {
    throw new NotAudioError(
      docType === 'matroska'
        ? 'Matroska files are not accepted, only WebM'
        : `EBML file of DocType "${docType}"`,
    );
  }
  let segment = await readElement(reader, header.end);
  while (segment.id === VOID && segment.end !== undefined) {
    count();
    segment = await readElement(reader, segment.end);
  }
  if (segment.id !== SEGMENT) throw new NotAudioError('WebM file without a Segment');

  const segmentEnd = Math.min(segment.end ?? reader.size, reader.size);
  let timing: Timing = { timestampScale: DEFAULT_TIMESTAMP_SCALE, duration: undefined };
  let track: AudioTrack | undefined;
  for (let offset = segment.dataStart; offset < segmentEnd; ) {
    count();
    const element = await readElement(reader, offset);
    if (element.id === CLUSTER) {
      if (!track) throw new NotAudioError('WebM cluster before the Tracks');
      const cluster = await findAudioBlock(reader, element, segmentEnd, track.number, count);
      if (cluster.found) return describe(track, timing, reader.size - offset);
      offset = cluster.end;
      continue;
    }
    if (element.end === undefined) throw new NotAudioError('WebM element of unknown size');
    if (element.id === INFO) timing = await readInfo(reader, element, count);
    if (element.id === TRACKS) track = await readTracks(reader, element, count);
    offset = element.end;
  }
  throw new NotAudioError(track ? 'WebM file without audio blocks' : 'WebM file without Tracks');
}

function describe(track: AudioTrack, timing: Timing, audioBytes: number): AudioInfo {
  const ms = timing.duration === undefined ? null : (timing.duration * timing.timestampScale) / 1e6;
  return {
    format: 'webm',
    contentType: 'audio/webm',
    codec: track.codec,
    sampleRate: track.sampleRate,
    channels: track.channels,
    durationMs: clampDurationMs(ms, compressedLimitMs(audioBytes)),
  };
}

import { AAC_CHANNELS, AAC_SAMPLE_RATES } from './adts.ts';
import { ascii, f64be, i32be, u8, u16be, u32be, u64be } from './bytes.ts';
import { clampDurationMs, compressedLimitMs } from './duration.ts';
import { MAX_STRUCTURES, structureCounter } from './limits.ts';
import { parseMpegFrameHeader } from './mpeg.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError, OverBudgetError } from './types.ts';

/**
 * ISO base media files (ISO/IEC 14496-12; M4A is 14496-14): `ftyp`, then top-level boxes of
 * which only `moov` is read whole (wherever it is: first with +faststart, or after `mdat`),
 * plus the first `moof` of a fragmented file. Of the others only the headers are read, and in
 * `moov` only the audio track's boxes: udta, meta, ilst and the rest are skipped by size.
 */

const BOX_HEADER_BYTES = 8;
const LARGE_BOX_HEADER_BYTES = 16;
/** A `moov` or `moof` larger than this is not read (the sample tables of 10 hours of AAC take ~7 MB). */
const MAX_READ_BOX_BYTES = 64 * 1024 * 1024;

/** Sample entry formats (the `stsd` entry's box type) and their codecs. */
const SAMPLE_ENTRY_CODECS = new Map([
  ['mp4a', 'aac'],
  ['alac', 'alac'],
  ['Opus', 'opus'],
  ['fLaC', 'flac'],
  ['.mp3', 'mp3'],
  ['ac-3', 'ac3'],
  ['ec-3', 'eac3'],
]);
/** `esds` objectTypeIndication values (14496-1 Table 5): AAC, and MP3 (MPEG-2 and MPEG-1 audio). */
const AAC_OBJECT_TYPE = 0x40;
const MP3_OBJECT_TYPES = new Set([0x69, 0x6b]);
/** AC-3 full-range channels by acmod (ETSI TS 102 366 Table 4.3). */
const AC3_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5];

interface Box {
  type: string;
  /** File offset, or offset in the buffer being parsed. */
  start: number;
  bodyStart: number;
  end: number;
}

/**
 * The box header at `at` (§4.2): 32-bit size and type; size 1 means a 64-bit size follows,
 * size 0 that the box runs to `containerEnd`. Undefined when the bytes are not a box header.
 */
function parseBoxHeader(
  bytes: Uint8Array,
  at: number,
  base: number,
  containerEnd: number,
): Box | undefined {
  if (at + BOX_HEADER_BYTES > bytes.length) return undefined;
  const size = u32be(bytes, at);
  const type = ascii(bytes, at + 4, 4);
  const start = base + at;
  if (size === 1) {
    if (at + LARGE_BOX_HEADER_BYTES > bytes.length) return undefined;
    const largeSize = u64be(bytes, at + 8);
    if (largeSize < LARGE_BOX_HEADER_BYTES) return undefined;
    return { type, start, bodyStart: start + LARGE_BOX_HEADER_BYTES, end: start + largeSize };
  }
  if (size === 0) return { type, start, bodyStart: start + BOX_HEADER_BYTES, end: containerEnd };
  if (size < BOX_HEADER_BYTES) return undefined;
  return { type, start, bodyStart: start + BOX_HEADER_BYTES, end: start + size };
}

/** The boxes in `bytes[from, to)`, each counted; NotAudioError for one that overruns `to`. */
function* boxes(bytes: Uint8Array, from: number, to: number, count: () => void): Generator<Box> {
  for (let at = from; at < to; ) {
    count();
    const box = parseBoxHeader(bytes, at, 0, to);
    if (!box || box.end > to)
      throw new NotAudioError(`MP4 box overrunning its container (byte ${at})`);
    yield box;
    at = box.end;
  }
}

/** The first child of the given type, if any. */
function child(bytes: Uint8Array, parent: Box, type: string, count: () => void): Box | undefined {
  for (const box of boxes(bytes, parent.bodyStart, parent.end, count))
    if (box.type === type) return box;
  return undefined;
}

/** The box at the end of a path of first children, e.g. mdia/minf/stbl. */
function descend(
  bytes: Uint8Array,
  parent: Box,
  path: string[],
  count: () => void,
): Box | undefined {
  let box: Box | undefined = parent;
  for (const type of path) box = box && child(bytes, box, type, count);
  return box;
}

/** Reads a box's fields in order, each checked against the box's end. */
class Fields {
  readonly #bytes: Uint8Array;
  readonly #box: Box;
  #at: number;

  constructor(bytes: Uint8Array, box: Box) {
    this.#bytes = bytes;
    this.#box = box;
    this.#at = box.bodyStart;
  }

  #take(length: number): number {
    const at = this.#at;
    if (at + length > this.#box.end) throw new NotAudioError(`MP4 ${this.#box.type} box too short`);
    this.#at += length;
    return at;
  }

  skip(length: number): this {
    this.#take(length);
    return this;
  }
  u8(): number {
    return u8(this.#bytes, this.#take(1));
  }
  u16(): number {
    return u16be(this.#bytes, this.#take(2));
  }
  u32(): number {
    return u32be(this.#bytes, this.#take(4));
  }
  i32(): number {
    return i32be(this.#bytes, this.#take(4));
  }
  u64(): number {
    return u64be(this.#bytes, this.#take(8));
  }
  f64(): number {
    return f64be(this.#bytes, this.#take(8));
  }
  fourCc(): string {
    return ascii(this.#bytes, this.#take(4), 4);
  }
  /** Bytes left in the box after the fields read so far. */
  get remaining(): number {
    return this.#box.end - this.#at;
  }
  /** Where the next field starts. */
  get offset(): number {
    return this.#at;
  }
}

/** A full box (§4.2): its version, flags, and the fields after them. */
function fullBox(bytes: Uint8Array, box: Box): { version: number; flags: number; fields: Fields } {
  const fields = new Fields(bytes, box);
  const versionAndFlags = fields.u32();
  return { version: versionAndFlags >>> 24, flags: versionAndFlags & 0xffffff, fields };
}

interface Sample {
  offset: number;
  size: number;
}

interface AudioTrack {
  trackId: number;
  codec: string;
  sampleRate: number;
  channels: number;
  timescale: number;
  /** In timescale units; undefined when unknown (0 or all ones). */
  duration: number | undefined;
  /** The first sample, from the sample tables; undefined when they hold none (fragmented file). */
  firstSample: Sample | undefined;
}

interface Movie {
  track: AudioTrack;
  fragmented: boolean;
  /** trex default_sample_size of the audio track, for fragments that give none. */
  defaultSampleSize: number;
  /** mehd fragment_duration in seconds, for fragmented files whose mdhd has none. */
  fragmentSeconds: number | undefined;
}

/** mvhd (§8.2.2), mdhd (§8.4.2): timescale and duration, after creation and modification times. */
function timescaleAndDuration(
  bytes: Uint8Array,
  box: Box,
): { timescale: number; duration: number | undefined } {
  const { version, fields } = fullBox(bytes, box);
  const v1 = version === 1;
  fields.skip(v1 ? 16 : 8);
  const timescale = fields.u32();
  const duration = v1 ? fields.u64() : fields.u32();
  const unknown = duration === 0 || duration === (v1 ? 2 ** 64 : 0xffffffff);
  return { timescale, duration: unknown ? undefined : duration };
}

interface DecoderConfig {
  objectType: number;
  /** From an AAC AudioSpecificConfig, when there is one with a known rate and layout. */
  sampleRate?: number;
  channels?: number;
}

/**
 * The decoder configuration in an `esds` box (14496-1 §7.2.6.5 ES_Descriptor, §7.2.6.6
 * DecoderConfigDescriptor) and, for AAC, the rate and channels of its AudioSpecificConfig
 * (14496-3 §1.6.2.1): the sample entry's own channelcount is a fixed 2 for AAC.
 */
function decoderConfig(bytes: Uint8Array, esds: Box): DecoderConfig {
  const { fields } = fullBox(bytes, esds);
  // A descriptor: a tag, then a size in 1 to 4 bytes of 7 bits each.
  const descriptorTag = () => {
    const tag = fields.u8();
    for (let i = 0; i < 4 && fields.u8() & 0x80; i++);
    return tag;
  };
  if (descriptorTag() !== 0x03) throw new NotAudioError('MP4 esds box without an ES descriptor');
  const flags = fields.skip(2).u8();
  if (flags & 0x80) fields.skip(2);
  if (flags & 0x40) fields.skip(fields.u8());
  if (flags & 0x20) fields.skip(2);
  if (descriptorTag() !== 0x04) throw new NotAudioError('MP4 esds box without a decoder config');
  const objectType = fields.u8();
  // streamType, bufferSizeDB, maxBitrate, avgBitrate; then DecoderSpecificInfo.
  fields.skip(12);
  if (objectType !== AAC_OBJECT_TYPE || descriptorTag() !== 0x05) return { objectType };
  // AudioSpecificConfig: audioObjectType (5 bits, 6 more if 31), samplingFrequencyIndex
  // (4 bits), channelConfiguration (4 bits); SBR and PS signal the output rate after them.
  const high = fields.u16();
  const bits = high * 2 ** 16 + (fields.remaining >= 2 ? fields.u16() : 0);
  const bitsAt = (offset: number, width: number) =>
    Math.floor(bits / 2 ** (32 - offset - width)) % 2 ** width;
  const audioObjectType = bitsAt(0, 5);
  const at = audioObjectType === 31 ? 11 : 5;
  let rate = AAC_SAMPLE_RATES[bitsAt(at, 4)];
  const channels = AAC_CHANNELS[bitsAt(at + 4, 4)];
  if (audioObjectType === 5 || audioObjectType === 29) rate = AAC_SAMPLE_RATES[bitsAt(at + 8, 4)];
  return { objectType, sampleRate: rate, channels: channels || undefined };
}

/** An audio trak (handler `soun`) with a sample entry in an accepted codec, or undefined. */
function audioTrack(bytes: Uint8Array, trak: Box, count: () => void): AudioTrack | undefined {
  const hdlr = descend(bytes, trak, ['mdia', 'hdlr'], count);
  // hdlr (§8.4.3): pre_defined, then handler_type.
  if (!hdlr || fullBox(bytes, hdlr).fields.skip(4).fourCc() !== 'soun') return undefined;
  const tkhd = child(bytes, trak, 'tkhd', count);
  const mdhd = descend(bytes, trak, ['mdia', 'mdhd'], count);
  const stbl = descend(bytes, trak, ['mdia', 'minf', 'stbl'], count);
  const stsd = stbl && child(bytes, stbl, 'stsd', count);
  if (!tkhd || !mdhd || !stbl || !stsd)
    throw new NotAudioError('MP4 audio track without its headers');
  // tkhd (§8.3.2): track_ID after the creation and modification times.
  const trackHeader = fullBox(bytes, tkhd);
  const trackId = trackHeader.fields.skip(trackHeader.version === 1 ? 16 : 8).u32();
  const { timescale, duration } = timescaleAndDuration(bytes, mdhd);
  if (timescale === 0) throw new NotAudioError('MP4 audio track with a timescale of 0');

  // stsd (§8.5.2): entry_count, then the first sample entry, an AudioSampleEntry (§12.2.3).
  const entriesAt = fullBox(bytes, stsd).fields.skip(4).offset;
  const [entry] = boxes(bytes, entriesAt, stsd.end, count);
  let codec = entry && SAMPLE_ENTRY_CODECS.get(entry.type);
  if (!entry || !codec) return undefined;
  // reserved, data_reference_index, then QuickTime's version (ISO's reserved 0).
  const fields = new Fields(bytes, entry).skip(8);
  const version = fields.u16();
  fields.skip(6);
  let channels = fields.u16();
  fields.skip(6);
  let sampleRate = fields.u32() / 65536;
  if (version === 2) {
    // QuickTime sound description version 2: sizeOfStructOnly, then a 64-bit float rate and
    // a 32-bit channel count.
    sampleRate = fields.skip(4).f64();
    channels = fields.u32();
  }
  // A rate above 65535 Hz does not fit the 16.16 field; the media timescale is then the rate.
  sampleRate ||= timescale;
  // The codec's own configuration box, after the fields of a version 0 entry, knows better.
  const extensions = version === 0 ? [...boxes(bytes, fields.offset, entry.end, count)] : [];
  const esds = entry.type === 'mp4a' && extensions.find((box) => box.type === 'esds');
  if (esds) {
    const config = decoderConfig(bytes, esds);
    if (MP3_OBJECT_TYPES.has(config.objectType)) codec = 'mp3';
    sampleRate = config.sampleRate ?? sampleRate;
    channels = config.channels ?? channels;
  }
  const dac3 = entry.type === 'ac-3' && extensions.find((box) => box.type === 'dac3');
  if (dac3) {
    // ETSI TS 102 366 §F.4: fscod (2 bits), bsid (5), bsmod (3), acmod (3), lfeon (1).
    const bits = new Fields(bytes, dac3).u16();
    channels = (AC3_CHANNELS[(bits >> 3) & 7] ?? 0) + ((bits >> 2) & 1);
  }
  if (!(sampleRate > 0) || channels === 0)
    throw new NotAudioError('MP4 audio track without a rate or channels');
  return {
    trackId,
    codec,
    sampleRate,
    channels,
    timescale,
    duration,
    firstSample: firstSample(bytes, stbl, count),
  };
}

/**
 * The first sample of the sample tables: the first chunk's offset (stco/co64, §8.7.5) and the
 * first sample size (stsz/stz2, §8.7.3); undefined when the tables hold no sample.
 */
function firstSample(bytes: Uint8Array, stbl: Box, count: () => void): Sample | undefined {
  let sampleCount = 0;
  let size = 0;
  let chunkOffset: number | undefined;
  for (const box of boxes(bytes, stbl.bodyStart, stbl.end, count)) {
    if (box.type === 'stsz') {
      const { fields } = fullBox(bytes, box);
      size = fields.u32();
      sampleCount = fields.u32();
      if (size === 0 && sampleCount > 0) size = fields.u32();
    } else if (box.type === 'stz2') {
      const { fields } = fullBox(bytes, box);
      const fieldSize = fields.skip(3).u8();
      sampleCount = fields.u32();
      if (sampleCount > 0)
        size = fieldSize === 16 ? fields.u16() : fields.u8() >> (fieldSize === 4 ? 4 : 0);
    } else if (box.type === 'stco' || box.type === 'co64') {
      const { fields } = fullBox(bytes, box);
      if (fields.u32() > 0) chunkOffset = box.type === 'stco' ? fields.u32() : fields.u64();
    }
  }
  if (sampleCount === 0) return undefined;
  if (chunkOffset === undefined || size === 0)
    throw new NotAudioError('MP4 audio track whose first sample is nowhere');
  return { offset: chunkOffset, size };
}

/**
 * The moov box: its children are walked by their headers, and only mvhd, the traks (up to the
 * first audio one) and mvex are read; udta, meta and the like are skipped unread.
 */
async function parseMovie(reader: ByteReader, moov: Box, count: () => void): Promise<Movie> {
  let track: AudioTrack | undefined;
  let mvex: { bytes: Uint8Array; box: Box } | undefined;
  let movieTimescale = 0;
  for await (const box of boxHeaders(reader, moov.bodyStart, moov.end, count)) {
    if (box.end > moov.end) throw new NotAudioError('MP4 box overrunning the moov box');
    if (box.type === 'trak' && !track) {
      const trak = await readWholeBox(reader, box);
      track = audioTrack(trak.bytes, trak.box, count);
    } else if (box.type === 'mvhd') {
      const mvhd = await readWholeBox(reader, box);
      movieTimescale = timescaleAndDuration(mvhd.bytes, mvhd.box).timescale;
    } else if (box.type === 'mvex') {
      mvex = await readWholeBox(reader, box);
    }
  }
  if (!track) throw new NotAudioError('MP4 file without an audio track in an accepted codec');
  if (!mvex) {
    if (!track.firstSample) throw new NotAudioError('MP4 audio track without samples');
    return { track, fragmented: false, defaultSampleSize: 0, fragmentSeconds: undefined };
  }
  let defaultSampleSize = 0;
  let fragmentSeconds: number | undefined;
  const { bytes } = mvex;
  for (const box of boxes(bytes, mvex.box.bodyStart, mvex.box.end, count)) {
    if (box.type === 'trex') {
      // §8.8.3: track_ID, default sample description index, duration, size.
      const { fields } = fullBox(bytes, box);
      if (fields.u32() === track.trackId) defaultSampleSize = fields.skip(8).u32();
    }
    if (box.type === 'mehd' && movieTimescale > 0) {
      // §8.8.2: fragment_duration, in the movie's timescale.
      const { version, fields } = fullBox(bytes, box);
      fragmentSeconds = (version === 1 ? fields.u64() : fields.u32()) / movieTimescale;
    }
  }
  return { track, fragmented: true, defaultSampleSize, fragmentSeconds };
}

/**
 * The first sample of the audio track in a movie fragment (tfhd §8.8.7, trun §8.8.8): its
 * file offset and size, or undefined when the fragment has none. `moofStart` is the moof
 * box's file offset.
 */
function fragmentFirstSample(
  bytes: Uint8Array,
  moof: Box,
  moofStart: number,
  movie: Movie,
  count: () => void,
): Sample | undefined {
  for (const traf of boxes(bytes, moof.bodyStart, moof.end, count)) {
    if (traf.type !== 'traf') continue;
    const tfhd = child(bytes, traf, 'tfhd', count);
    if (!tfhd) throw new NotAudioError('MP4 track fragment without a tfhd box');
    const header = fullBox(bytes, tfhd);
    if (header.fields.u32() !== movie.track.trackId) continue;
    // Optional fields by flag: base-data-offset (without it, offsets count from the moof box),
    // sample-description-index, default-sample-duration, default-sample-size.
    const base = header.flags & 0x1 ? header.fields.u64() : moofStart;
    if (header.flags & 0x2) header.fields.skip(4);
    if (header.flags & 0x8) header.fields.skip(4);
    const defaultSize = header.flags & 0x10 ? header.fields.u32() : movie.defaultSampleSize;
    for (const trun of boxes(bytes, traf.bodyStart, traf.end, count)) {
      if (trun.type !== 'trun') continue;
      const run = fullBox(bytes, trun);
      if (run.fields.u32() === 0) continue;
      // Optional fields by flag: data-offset, first-sample-flags, then the first sample's
      // duration and size.
      const dataOffset = run.flags & 0x1 ? run.fields.i32() : 0;
      if (run.flags & 0x4) run.fields.skip(4);
      if (run.flags & 0x100) run.fields.skip(4);
      const size = run.flags & 0x200 ? run.fields.u32() : defaultSize;
      return { offset: base + dataOffset, size };
    }
  }
  return undefined;
}

/** The headers of the boxes from `from` to `to`, read one by one and counted. */
async function* boxHeaders(
  reader: ByteReader,
  from: number,
  to: number,
  count: () => void,
): AsyncGenerator<Box> {
  for (let offset = from; offset < to; ) {
    count();
    const box = parseBoxHeader(await reader.read(offset, LARGE_BOX_HEADER_BYTES), 0, offset, to);
    if (!box)
      throw new NotAudioError(`MP4 file without a valid box where one must start (byte ${offset})`);
    yield box;
    offset = box.end;
  }
}

/** A whole box in memory, with `box` giving its offsets in `bytes`. */
async function readWholeBox(
  reader: ByteReader,
  box: Box,
): Promise<{ bytes: Uint8Array; box: Box }> {
  const length = box.end - box.start;
  if (length > MAX_READ_BOX_BYTES)
    throw new OverBudgetError(`MP4 ${box.type} box larger than 64 MiB`);
  const bytes = await reader.need(box.start, length, `MP4 ${box.type} box cut short`);
  const headerLength = box.bodyStart - box.start;
  return { bytes, box: { type: box.type, start: 0, bodyStart: headerLength, end: length } };
}

export async function verifyMp4(reader: ByteReader): Promise<AudioInfo> {
  const count = structureCounter(MAX_STRUCTURES, 'MP4 boxes');
  /** The payloads of the mdat boxes seen so far. */
  const mdats: { start: number; end: number }[] = [];
  let movie: Movie | undefined;
  let moovBytes = 0;
  let sample: Sample | undefined;
  for await (const box of boxHeaders(reader, 0, reader.size, count)) {
    if (box.start === 0 && box.type !== 'ftyp')
      throw new NotAudioError('MP4 file that does not start with ftyp');
    if (box.type === 'moov') {
      if (movie) throw new NotAudioError('MP4 file with two moov boxes');
      movie = await parseMovie(reader, box, count);
      moovBytes = box.end - box.start;
      sample = movie.track.firstSample;
    } else if (box.type === 'mdat') {
      mdats.push({ start: box.bodyStart, end: Math.min(box.end, reader.size) });
    } else if (box.type === 'moof' && movie?.fragmented && !sample) {
      const moof = await readWholeBox(reader, box);
      sample = fragmentFirstSample(moof.bytes, moof.box, box.start, movie, count);
    }
    const first = sample;
    if (
      movie &&
      first &&
      mdats.some((mdat) => first.offset >= mdat.start && first.offset + first.size <= mdat.end)
    ) {
      if (movie.track.codec === 'mp3') await readMp3Format(reader, first, movie.track);
      return describe(movie, reader.size - moovBytes);
    }
  }
  throw new NotAudioError(
    movie
      ? 'MP4 file whose first audio sample is not in an mdat box'
      : 'MP4 file without a moov box',
  );
}

/**
 * MP3 in MP4: the first sample must be an MPEG audio frame, whose header has the rate and
 * channels (the sample entry's channelcount is a fixed 2).
 */
async function readMp3Format(reader: ByteReader, sample: Sample, track: AudioTrack) {
  const header = parseMpegFrameHeader(await reader.read(sample.offset, 4), 0);
  if (!header)
    throw new NotAudioError('MP4 MP3 track whose first sample is not an MPEG audio frame');
  track.sampleRate = header.sampleRate;
  track.channels = header.channels;
}

function describe(movie: Movie, audioBytes: number): AudioInfo {
  const { track } = movie;
  const seconds =
    track.duration === undefined
      ? (movie.fragmentSeconds ?? null)
      : track.duration / track.timescale;
  return {
    format: 'mp4',
    contentType: 'audio/mp4',
    codec: track.codec,
    sampleRate: track.sampleRate,
    channels: track.channels,
    durationMs: clampDurationMs(
      seconds === null ? null : seconds * 1000,
      compressedLimitMs(audioBytes),
    ),
  };
}

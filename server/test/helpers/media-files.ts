import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real audio files made with ffmpeg at test time, and builders of pathological files: each
 * takes a real file of its format and inserts a metadata bomb (huge or countless tags,
 * comments, boxes or chunks) while keeping the audio valid, so that ffprobe still plays it.
 * The builders are written from the specifications, independently of src/media/formats.
 */

// ---------------------------------------------------------------------------------------------
// ffmpeg and ffprobe

export interface AudioOptions {
  /** The ffmpeg muxer: mp3, mp2, adts, wav, aiff, flac, ogg, opus, webm, matroska, mp4, ipod. */
  format: string;
  /** The ffmpeg encoder: libmp3lame, aac, libvorbis, libopus, flac, pcm_s16le, ... */
  codec: string;
  seconds?: number;
  sampleRate?: number;
  channels?: number;
  /** A 440 Hz tone, or white noise (which does not compress: big files made fast). */
  signal?: 'sine' | 'noise';
  /** More output options, e.g. ['-b:a', '320k'] or ['-movflags', '+faststart']. */
  args?: string[];
  /**
   * Write to a pipe rather than a file. Muxers then cannot seek back to finish their headers
   * (sizes and durations stay unknown), as when a browser's MediaRecorder streams.
   */
  pipe?: boolean;
}

const QUIET = ['-hide_banner', '-loglevel', 'error', '-nostdin'];

function check(result: SpawnSyncReturns<Buffer>, what: string): SpawnSyncReturns<Buffer> {
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${what} failed: ${result.stderr.toString()}`);
  return result;
}

function withTempDir<T>(use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'media-files-'));
  try {
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ffmpeg(input: string[], output: string[], pipe: boolean): Buffer {
  if (pipe) {
    const args = [...QUIET, ...input, ...output, 'pipe:1'];
    return check(spawnSync('ffmpeg', args, { maxBuffer: 1 << 30 }), 'ffmpeg').stdout;
  }
  return withTempDir((dir) => {
    const file = join(dir, 'out');
    check(spawnSync('ffmpeg', [...QUIET, ...input, ...output, '-y', file]), 'ffmpeg');
    return readFileSync(file);
  });
}

/** A real audio file: `seconds` of a tone (or noise) encoded and muxed by ffmpeg. */
export function ffmpegAudio(options: AudioOptions): Buffer {
  const { format, codec, seconds = 1, sampleRate = 44100, channels = 1 } = options;
  const source =
    options.signal === 'noise'
      ? `anoisesrc=duration=${seconds}:sample_rate=${sampleRate}:amplitude=0.5`
      : `sine=frequency=440:duration=${seconds}:sample_rate=${sampleRate}`;
  const output = ['-ac', String(channels), '-c:a', codec, ...(options.args ?? []), '-f', format];
  return ffmpeg(['-f', 'lavfi', '-i', source], output, options.pipe ?? false);
}

/** Any ffmpeg output from an lavfi source graph, e.g. video for "not audio" cases. */
export function ffmpegLavfi(source: string, output: string[]): Buffer {
  return ffmpeg(['-f', 'lavfi', '-i', source], output, false);
}

/** `file` played `times` times in a row, stream-copied into `format` (a big file, fast). */
export function repeatAudio(
  file: Buffer,
  times: number,
  format: string,
  args: string[] = [],
): Buffer {
  return withTempDir((dir) => {
    const input = join(dir, 'in');
    writeFileSync(input, file);
    return ffmpeg(
      ['-stream_loop', String(times - 1), '-i', input],
      ['-c', 'copy', ...args, '-f', format],
      false,
    );
  });
}

export interface Probe {
  codec: string;
  sampleRate: number;
  channels: number;
  /** NaN when ffprobe cannot tell. */
  seconds: number;
}

/** What ffprobe says of the first audio stream; throws when ffprobe reports any error. */
export function ffprobe(file: Buffer): Probe {
  return withTempDir((dir) => {
    const input = join(dir, 'in');
    writeFileSync(input, file);
    const args = ['-v', 'error', '-select_streams', 'a:0', '-show_entries'];
    args.push('stream=codec_name,sample_rate,channels:format=duration', '-of', 'json', input);
    const result = check(spawnSync('ffprobe', args, { maxBuffer: 1 << 26 }), 'ffprobe');
    if (result.stderr.length > 0) throw new Error(`ffprobe: ${result.stderr.toString()}`);
    const json = JSON.parse(result.stdout.toString()) as {
      streams: { codec_name: string; sample_rate: string; channels: number }[];
      format: { duration?: string };
    };
    const [stream] = json.streams;
    if (!stream) throw new Error('ffprobe found no audio stream');
    return {
      codec: stream.codec_name,
      sampleRate: Number(stream.sample_rate),
      channels: stream.channels,
      seconds: Number(json.format.duration ?? Number.NaN),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Byte helpers

const u32be = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const u32le = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
};
const latin1 = (text: string) => Buffer.from(text, 'latin1');

// ---------------------------------------------------------------------------------------------
// MP3: ID3v2.4 tags (id3.org, "ID3 tag version 2.4.0 - Main Structure")

const syncsafe = (value: number) =>
  Buffer.from([(value >> 21) & 0x7f, (value >> 14) & 0x7f, (value >> 7) & 0x7f, value & 0x7f]);

function id3Frame(id: string, body: Buffer): Buffer {
  return Buffer.concat([latin1(id), syncsafe(body.length), Buffer.alloc(2), body]);
}

/** An ID3v2.4 tag of these frames; with no frames, the bare 10-byte header. */
export function id3Tag(frames: Buffer[] = []): Buffer {
  const body = Buffer.concat(frames);
  return Buffer.concat([latin1('ID3'), Buffer.from([4, 0, 0]), syncsafe(body.length), body]);
}

/** The MP3 without the ID3v2 tag ffmpeg writes at its start. */
function withoutId3v2(mp3: Buffer): Buffer {
  if (mp3.toString('latin1', 0, 3) !== 'ID3') return mp3;
  const size = mp3.subarray(6, 10).reduce((sum, byte) => sum * 128 + byte, 0);
  return mp3.subarray(10 + size);
}

const UTF8 = 3;

/** An ID3v2.4 tag whose TCOM (a text list) holds `values` NUL-separated values, before the MP3's frames. */
export function mp3WithTextListBomb(mp3: Buffer, values = 500_000): Buffer {
  const list = Array.from({ length: values }, (_, i) => String(i % 1000)).join('\0');
  const frame = id3Frame('TCOM', Buffer.concat([Buffer.from([UTF8]), Buffer.from(list)]));
  return Buffer.concat([id3Tag([frame]), withoutId3v2(mp3)]);
}

/** An ID3v2.4 tag of `frames` TXXX frames (all with one description), before the MP3's frames. */
export function mp3WithManyTxxxFrames(mp3: Buffer, frames = 200_000): Buffer {
  const frame = id3Frame('TXXX', Buffer.concat([Buffer.from([UTF8]), latin1('bomb\0v')]));
  return Buffer.concat([id3Tag(Array.from({ length: frames }, () => frame)), withoutId3v2(mp3)]);
}

// ---------------------------------------------------------------------------------------------
// FLAC metadata blocks (RFC 9639 §8)

const STREAMINFO = 0;
const PADDING = 1;
const APPLICATION = 2;
const VORBIS_COMMENT = 4;
const MAX_BLOCK_BYTES = 0xffffff;

function flacBlock(type: number, body: Buffer, last: boolean): Buffer {
  if (body.length > MAX_BLOCK_BYTES) throw new RangeError('FLAC metadata block over 16 MiB');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  header[0] = type | (last ? 0x80 : 0);
  return Buffer.concat([header, body]);
}

/** A Vorbis comment block (RFC 9639 §8.6; Vorbis I §5): little-endian lengths, no framing bit. */
function vorbisComment(entries: number): Buffer {
  const vendor = latin1('bomb');
  const entry = latin1('COMMENT=v');
  const parts = [u32le(vendor.length), vendor, u32le(entries)];
  for (let i = 0; i < entries; i++) parts.push(u32le(entry.length), entry);
  return Buffer.concat(parts);
}

export interface FlacBombOptions {
  /** Entries of the VORBIS_COMMENT block (it must stay under 16 MiB: ~1.2 million). */
  entries?: number;
  paddingBlocks?: number;
  applicationBlocks?: number;
}

/**
 * The FLAC with its VORBIS_COMMENT replaced by one of `entries` entries, followed by
 * `paddingBlocks` PADDING and `applicationBlocks` APPLICATION blocks.
 */
export function flacWithCommentBomb(flac: Buffer, options: FlacBombOptions = {}): Buffer {
  const { entries = 100_000, paddingBlocks = 0, applicationBlocks = 0 } = options;
  if (flac.toString('latin1', 0, 4) !== 'fLaC') throw new Error('not a native FLAC file');
  const blocks: { type: number; body: Buffer }[] = [];
  let offset = 4;
  for (let last = false; !last; ) {
    last = (flac[offset] ?? 0) >= 0x80;
    const type = (flac[offset] ?? 0) & 0x7f;
    const length = flac.readUInt32BE(offset) & MAX_BLOCK_BYTES;
    if (type !== VORBIS_COMMENT)
      blocks.push({ type, body: flac.subarray(offset + 4, offset + 4 + length) });
    offset += 4 + length;
  }
  const [streamInfo, ...others] = blocks;
  if (streamInfo?.type !== STREAMINFO) throw new Error('FLAC without STREAMINFO first');
  const added = [
    { type: VORBIS_COMMENT, body: vorbisComment(entries) },
    ...Array.from({ length: paddingBlocks }, () => ({ type: PADDING, body: Buffer.alloc(4) })),
    ...Array.from({ length: applicationBlocks }, () => ({
      type: APPLICATION,
      body: latin1('bombdata'),
    })),
  ];
  const all = [streamInfo, ...added, ...others];
  return Buffer.concat([
    latin1('fLaC'),
    ...all.map((block, i) => flacBlock(block.type, block.body, i === all.length - 1)),
    flac.subarray(offset),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Ogg (RFC 3533) with Vorbis or Opus (RFC 7845)

const OGG_CRC_TABLE = Uint32Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 24;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  return crc >>> 0;
});

function oggCrc(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (OGG_CRC_TABLE[(crc >>> 24) ^ byte] ?? 0)) >>> 0;
  return crc;
}

interface OggPage {
  flags: number;
  /** The 8 raw bytes of the granule position. */
  granule: Buffer;
  serial: number;
  sequence: number;
  lacing: number[];
  body: Buffer;
}

const CONTINUED = 0x01;
const NO_GRANULE = Buffer.alloc(8, 0xff);

function oggPages(ogg: Buffer): OggPage[] {
  const pages: OggPage[] = [];
  for (let at = 0; at < ogg.length; ) {
    if (ogg.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`no Ogg page at ${at}`);
    const segments = ogg[at + 26] ?? 0;
    const lacing = [...ogg.subarray(at + 27, at + 27 + segments)];
    const bodyStart = at + 27 + segments;
    const bodyEnd = bodyStart + lacing.reduce((sum, value) => sum + value, 0);
    pages.push({
      flags: ogg[at + 5] ?? 0,
      granule: ogg.subarray(at + 6, at + 14),
      serial: ogg.readUInt32LE(at + 14),
      sequence: ogg.readUInt32LE(at + 18),
      lacing,
      body: ogg.subarray(bodyStart, bodyEnd),
    });
    at = bodyEnd;
  }
  return pages;
}

/** The page's bytes, its CRC computed over the page with the CRC field zeroed. */
function oggPageBytes(page: OggPage): Buffer {
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[5] = page.flags;
  page.granule.copy(header, 6);
  header.writeUInt32LE(page.serial, 14);
  header.writeUInt32LE(page.sequence, 18);
  header[26] = page.lacing.length;
  const bytes = Buffer.concat([header, Buffer.from(page.lacing), page.body]);
  bytes.writeUInt32LE(oggCrc(bytes), 22);
  return bytes;
}

/** Header packets on pages of at most 255 lacing values; header pages have granule 0 (RFC 7845 §3). */
function paginate(packets: Buffer[], serial: number, firstSequence: number): OggPage[] {
  const segments: { bytes: Buffer; endsPacket: boolean }[] = [];
  for (const packet of packets) {
    for (let at = 0; ; at += 255) {
      const bytes = packet.subarray(at, at + 255);
      const endsPacket = bytes.length < 255;
      segments.push({ bytes, endsPacket });
      if (endsPacket) break;
    }
  }
  const pages: OggPage[] = [];
  for (let first = 0; first < segments.length; first += 255) {
    const onPage = segments.slice(first, first + 255);
    const continued = first > 0 && !segments[first - 1]?.endsPacket;
    pages.push({
      flags: continued ? CONTINUED : 0,
      granule: onPage.some((segment) => segment.endsPacket) ? Buffer.alloc(8) : NO_GRANULE,
      serial,
      sequence: firstSequence + pages.length,
      lacing: onPage.map((segment) => segment.bytes.length),
      body: Buffer.concat(onPage.map((segment) => segment.bytes)),
    });
  }
  return pages;
}

/**
 * The Ogg Vorbis or Opus file with its comment header (Vorbis I §5.2, RFC 7845 §5.2) replaced
 * by one of `entries` entries, spread over as many pages as it takes; the pages after it are
 * renumbered and every CRC recomputed.
 */
export function oggWithCommentBomb(ogg: Buffer, entries = 100_000): Buffer {
  const [first, ...rest] = oggPages(ogg);
  if (!first) throw new Error('empty Ogg file');
  const vorbis = first.body.toString('latin1', 0, 7) === '\x01vorbis';
  if (!vorbis && first.body.toString('latin1', 0, 8) !== 'OpusHead')
    throw new Error('neither Vorbis nor Opus');
  // The header packets after the identification header: comment (and setup for Vorbis).
  const wanted = vorbis ? 2 : 1;
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  let headerPages = 0;
  while (packets.length < wanted) {
    const page = rest[headerPages++];
    if (!page || page.serial !== first.serial) throw new Error('expected one logical stream');
    let at = 0;
    for (const value of page.lacing) {
      partial.push(page.body.subarray(at, at + value));
      at += value;
      if (value < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
  }
  if (packets.length !== wanted || partial.length > 0) throw new Error('headers do not end a page');
  const vendor = latin1('bomb');
  const entry = latin1('COMMENT=v');
  const comment = [
    vorbis ? latin1('\x03vorbis') : latin1('OpusTags'),
    u32le(vendor.length),
    vendor,
  ];
  comment.push(u32le(entries));
  for (let i = 0; i < entries; i++) comment.push(u32le(entry.length), entry);
  if (vorbis) comment.push(Buffer.from([1]));
  const headers = paginate([Buffer.concat(comment), ...packets.slice(1)], first.serial, 1);
  const audio = rest
    .slice(headerPages)
    .map((page, i) => ({ ...page, sequence: 1 + headers.length + i }));
  return Buffer.concat([first, ...headers, ...audio].map(oggPageBytes));
}

// ---------------------------------------------------------------------------------------------
// MP4 boxes (ISO/IEC 14496-12 §4.2; iTunes metadata: Apple "QuickTime File Format", ilst)

interface BoxAt {
  type: string;
  start: number;
  headerLength: number;
  end: number;
}

function mp4Boxes(bytes: Buffer, from: number, to: number): BoxAt[] {
  const boxes: BoxAt[] = [];
  for (let at = from; at < to; ) {
    const size = bytes.readUInt32BE(at);
    const large = size === 1;
    const length = large ? Number(bytes.readBigUInt64BE(at + 8)) : size === 0 ? to - at : size;
    boxes.push({
      type: bytes.toString('latin1', at + 4, at + 8),
      start: at,
      headerLength: large ? 16 : 8,
      end: at + length,
    });
    at += length;
  }
  return boxes;
}

function mp4Box(type: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  return Buffer.concat([u32be(8 + payload.length), latin1(type), payload]);
}

/** A full box of version 0 and no flags. */
const mp4FullBox = (type: string, ...body: Buffer[]) => mp4Box(type, Buffer.alloc(4), ...body);

/** Adds `delta` to every chunk offset (stco, co64) of every track, in place. */
function shiftChunkOffsets(moov: Buffer, delta: number) {
  const visit = (from: number, to: number) => {
    for (const box of mp4Boxes(moov, from, to)) {
      const body = box.start + box.headerLength;
      if (['trak', 'mdia', 'minf', 'stbl'].includes(box.type)) visit(body, box.end);
      const count = box.type === 'stco' || box.type === 'co64' ? moov.readUInt32BE(body + 4) : 0;
      for (let i = 0; i < count; i++) {
        if (box.type === 'stco') {
          const at = body + 8 + 4 * i;
          moov.writeUInt32BE(moov.readUInt32BE(at) + delta, at);
        } else {
          const at = body + 8 + 8 * i;
          moov.writeBigUInt64BE(moov.readBigUInt64BE(at) + BigInt(delta), at);
        }
      }
    }
  };
  visit(8, moov.length);
}

/**
 * The M4A/MP4 with a moov/udta/meta/ilst of `items` comment items (replacing any udta), the
 * chunk offsets fixed when moov comes before the media data it points into.
 */
export function mp4WithIlstBomb(mp4: Buffer, items = 100_000): Buffer {
  const top = mp4Boxes(mp4, 0, mp4.length);
  const moov = top.find((box) => box.type === 'moov');
  if (!moov) throw new Error('no moov box');
  const children = mp4Boxes(mp4, moov.start + moov.headerLength, moov.end)
    .filter((box) => box.type !== 'udta')
    .map((box) => mp4.subarray(box.start, box.end));
  // ilst items: the key is the box type; each holds a `data` box (type 1 = UTF-8, locale 0).
  const item = mp4Box('\xa9cmt', mp4Box('data', u32be(1), u32be(0), latin1('v')));
  const handler = mp4FullBox(
    'hdlr',
    Buffer.alloc(4),
    latin1('mdir'),
    latin1('appl'),
    Buffer.alloc(9),
  );
  const ilst = mp4Box('ilst', ...Array.from({ length: items }, () => item));
  const newMoov = mp4Box('moov', ...children, mp4Box('udta', mp4FullBox('meta', handler, ilst)));
  const mediaAfterMoov = top.some((box) => box.type === 'mdat' && box.start > moov.start);
  if (mediaAfterMoov) shiftChunkOffsets(newMoov, newMoov.length - (moov.end - moov.start));
  return Buffer.concat([mp4.subarray(0, moov.start), newMoov, mp4.subarray(moov.end)]);
}

/** `count` top-level `free` boxes of 8 bytes right after ftyp (moov offsets fixed). */
export function mp4WithManyFreeBoxes(mp4: Buffer, count: number): Buffer {
  const [ftyp] = mp4Boxes(mp4, 0, mp4.length);
  if (ftyp?.type !== 'ftyp') throw new Error('MP4 without ftyp first');
  const rest = Buffer.from(mp4.subarray(ftyp.end));
  const moov = mp4Boxes(rest, 0, rest.length).find((box) => box.type === 'moov');
  if (!moov) throw new Error('no moov box');
  shiftChunkOffsets(rest.subarray(moov.start, moov.end), count * 8);
  const free = mp4Box('free');
  return Buffer.concat([
    mp4.subarray(0, ftyp.end),
    ...Array.from({ length: count }, () => free),
    rest,
  ]);
}

// ---------------------------------------------------------------------------------------------
// WebM / Matroska (RFC 8794 EBML, RFC 9559 Matroska)

const SEGMENT = 0x18538067;
const SEEK_HEAD = 0x114d9b74;
const SEEK = 0x4dbb;
const SEEK_ID = 0x53ab;
const SEEK_POSITION = 0x53ac;
const TAGS = 0x1254c367;
const TAG = 0x7373;
const TARGETS = 0x63c0;
const SIMPLE_TAG = 0x67c8;
const TAG_NAME = 0x45a3;
const TAG_STRING = 0x4487;
const CLUSTER = 0x1f43b675;
const CUES = 0x1c53bb6b;
const CUE_POINT = 0xbb;
const CUE_TRACK_POSITIONS = 0xb7;
const CUE_CLUSTER_POSITION = 0xf1;
const CRC32 = 0xbf;

interface EbmlAt {
  id: number;
  start: number;
  dataStart: number;
  /** Undefined for an unknown size. */
  end: number | undefined;
}

function ebmlAt(bytes: Buffer, at: number): EbmlAt {
  const idLength = Math.clz32(bytes[at] ?? 0) - 23;
  const sizeAt = at + idLength;
  const sizeLength = Math.clz32(bytes[sizeAt] ?? 0) - 23;
  let size = (bytes[sizeAt] ?? 0) & (0xff >> sizeLength);
  let unknown = size === 0xff >> sizeLength;
  for (let i = 1; i < sizeLength; i++) {
    size = size * 256 + (bytes[sizeAt + i] ?? 0);
    unknown &&= bytes[sizeAt + i] === 0xff;
  }
  const dataStart = sizeAt + sizeLength;
  return {
    id: bytes.readUIntBE(at, idLength),
    start: at,
    dataStart,
    end: unknown ? undefined : dataStart + size,
  };
}

function ebmlChildren(bytes: Buffer, from: number, to: number): (EbmlAt & { end: number })[] {
  const children: (EbmlAt & { end: number })[] = [];
  for (let at = from; at < to; ) {
    const child = ebmlAt(bytes, at);
    if (child.end === undefined) throw new Error('unknown-size element where sizes are expected');
    children.push({ ...child, end: child.end });
    at = child.end;
  }
  return children;
}

function ebmlId(id: number): Buffer {
  const length = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
  const bytes = Buffer.alloc(length);
  bytes.writeUIntBE(id, 0, length);
  return bytes;
}

/** An element with an 8-byte size, so that its length does not depend on values inside it. */
function ebml(id: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(body.length) | (1n << 56n));
  return Buffer.concat([ebmlId(id), size, body]);
}

function ebmlUint(id: number, value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return ebml(id, bytes);
}

/**
 * The WebM with `simpleTags` SimpleTag elements added to its Tags (created before the first
 * Cluster if it has none). Everything after it moves, so the SeekHead and the Cues are
 * rewritten with the new positions and the Segment's size fixed.
 */
export function webmWithTagsBomb(webm: Buffer, simpleTags = 100_000): Buffer {
  const header = ebmlAt(webm, 0);
  const segment = ebmlAt(webm, header.end ?? 0);
  if (segment.id !== SEGMENT) throw new Error('no Segment after the EBML header');
  const children = ebmlChildren(webm, segment.dataStart, segment.end ?? webm.length);
  const bomb = ebml(
    TAG,
    ebml(TARGETS),
    ...Array.from({ length: simpleTags }, () =>
      ebml(SIMPLE_TAG, ebml(TAG_NAME, latin1('COMMENT')), ebml(TAG_STRING, latin1('v'))),
    ),
  );
  const withoutCrc = (from: number, to: number) =>
    ebmlChildren(webm, from, to).filter((c) => c.id !== CRC32);
  if (!children.some((child) => child.id === TAGS)) {
    const cluster = children.findIndex((child) => child.id === CLUSTER);
    children.splice(cluster, 0, { id: TAGS, start: -1, dataStart: 0, end: 0 });
  }

  // Pass 1 lays the children out (SeekHead and Cues sizes do not depend on the positions they
  // hold); pass 2 fills in the positions.
  const build = (newPosition: (oldPosition: number) => number) =>
    children.map((child) => {
      if (child.id === TAGS) {
        const kept =
          child.start < 0
            ? []
            : withoutCrc(child.dataStart, child.end).map((tag) =>
                webm.subarray(tag.start, tag.end),
              );
        return ebml(TAGS, ...kept, bomb);
      }
      if (child.id === SEEK_HEAD) {
        return ebml(
          SEEK_HEAD,
          ...withoutCrc(child.dataStart, child.end).map((seek) => {
            const fields = ebmlChildren(webm, seek.dataStart, seek.end);
            const id = fields.find((field) => field.id === SEEK_ID);
            const position = fields.find((field) => field.id === SEEK_POSITION);
            if (!id || !position) throw new Error('Seek without SeekID or SeekPosition');
            const old = webm.readUIntBE(position.dataStart, position.end - position.dataStart);
            return ebml(
              SEEK,
              webm.subarray(id.start, id.end),
              ebmlUint(SEEK_POSITION, newPosition(old)),
            );
          }),
        );
      }
      if (child.id === CUES) {
        return ebml(
          CUES,
          ...withoutCrc(child.dataStart, child.end).map((point) => {
            if (point.id !== CUE_POINT) return webm.subarray(point.start, point.end);
            return ebml(
              CUE_POINT,
              ...ebmlChildren(webm, point.dataStart, point.end).map((field) => {
                if (field.id !== CUE_TRACK_POSITIONS) return webm.subarray(field.start, field.end);
                return ebml(
                  CUE_TRACK_POSITIONS,
                  ...ebmlChildren(webm, field.dataStart, field.end).map((position) => {
                    if (position.id !== CUE_CLUSTER_POSITION)
                      return webm.subarray(position.start, position.end);
                    return ebmlUint(
                      CUE_CLUSTER_POSITION,
                      newPosition(
                        webm.readUIntBE(position.dataStart, position.end - position.dataStart),
                      ),
                    );
                  }),
                );
              }),
            );
          }),
        );
      }
      return webm.subarray(child.start, child.end);
    });
  const layout = build(() => 0);
  const positions = new Map<number, number>();
  let position = 0;
  children.forEach((child, i) => {
    if (child.start >= 0) positions.set(child.start - segment.dataStart, position);
    position += layout[i]?.length ?? 0;
  });
  const body = build((old) => {
    const moved = positions.get(old);
    if (moved === undefined) throw new Error(`a position (${old}) that is not a child's start`);
    return moved;
  });
  const segmentBytes =
    segment.end === undefined
      ? Buffer.concat([
          ebmlId(SEGMENT),
          Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          ...body,
        ])
      : ebml(SEGMENT, ...body);
  return Buffer.concat([webm.subarray(0, segment.start), segmentBytes]);
}

/**
 * The WebM with the sizes of its Segment and of every Cluster made "unknown" (all value bits
 * set, in place), as a browser's MediaRecorder writes them.
 */
export function webmWithUnknownSizes(webm: Buffer): Buffer {
  const copy = Buffer.from(webm);
  const forget = (element: EbmlAt) => {
    const sizeAt = element.start + ebmlId(element.id).length;
    const sizeLength = element.dataStart - sizeAt;
    copy[sizeAt] = 0xff >> (sizeLength - 1);
    copy.fill(0xff, sizeAt + 1, element.dataStart);
  };
  const segment = ebmlAt(webm, ebmlAt(webm, 0).end ?? 0);
  for (const child of ebmlChildren(webm, segment.dataStart, segment.end ?? webm.length)) {
    if (child.id === CLUSTER) forget(child);
  }
  forget(segment);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// WAV (RIFF) and AIFF (IFF) chunks

function riffChunk(id: string, body: Buffer): Buffer {
  return Buffer.concat([latin1(id), u32le(body.length), body, Buffer.alloc(body.length % 2)]);
}

export interface WavBombOptions {
  /** Tiny JUNK chunks before `data` (10,000 unless given). */
  chunks?: number;
  /** A LIST/INFO chunk of ICMT comments of about this many bytes before `data`. */
  listBytes?: number;
}

/** The WAV with many chunks and/or a huge LIST chunk inserted before its data chunk. */
export function wavWithManyChunks(wav: Buffer, options: WavBombOptions = {}): Buffer {
  const { chunks = 10_000, listBytes = 0 } = options;
  let data = 12;
  while (wav.toString('latin1', data, data + 4) !== 'data')
    data += 8 + wav.readUInt32LE(data + 4) + (wav.readUInt32LE(data + 4) % 2);
  const junk = riffChunk('JUNK', Buffer.alloc(2));
  const comment = riffChunk('ICMT', latin1('bomb\0'));
  const comments = Math.ceil(listBytes / comment.length);
  const inserted = Buffer.concat([
    ...Array.from({ length: chunks }, () => junk),
    ...(listBytes > 0
      ? [
          riffChunk(
            'LIST',
            Buffer.concat([latin1('INFO'), ...Array.from({ length: comments }, () => comment)]),
          ),
        ]
      : []),
  ]);
  const out = Buffer.concat([wav.subarray(0, data), inserted, wav.subarray(data)]);
  const riffSize = wav.readUInt32LE(4);
  if (riffSize !== 0xffffffff) out.writeUInt32LE(riffSize + inserted.length, 4);
  return out;
}

/** The AIFF with `chunks` ANNO (annotation) chunks inserted before its SSND chunk. */
export function aiffWithManyChunks(aiff: Buffer, chunks = 10_000): Buffer {
  let ssnd = 12;
  while (aiff.toString('latin1', ssnd, ssnd + 4) !== 'SSND')
    ssnd += 8 + aiff.readUInt32BE(ssnd + 4) + (aiff.readUInt32BE(ssnd + 4) % 2);
  const anno = Buffer.concat([latin1('ANNO'), u32be(4), latin1('bomb')]);
  const inserted = Buffer.concat(Array.from({ length: chunks }, () => anno));
  const out = Buffer.concat([aiff.subarray(0, ssnd), inserted, aiff.subarray(ssnd)]);
  out.writeUInt32BE(aiff.readUInt32BE(4) + inserted.length, 4);
  return out;
}

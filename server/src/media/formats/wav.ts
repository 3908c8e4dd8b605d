import { ascii, u16le, u32le, u64le } from './bytes.ts';
import { clampDurationMs, compressedLimitMs } from './duration.ts';
import { MAX_STRUCTURES, structureCounter } from './limits.ts';
import { findMpegFrames } from './mpeg.ts';
import type { ByteReader } from './reader.ts';
import { type AudioInfo, NotAudioError } from './types.ts';

/**
 * RIFF/WAVE (Microsoft "Multimedia Programming Interface and Data Specifications 1.0") and
 * RF64 (EBU Tech 3306, whose `ds64` chunk holds the 64-bit sizes). Chunks other than `ds64`,
 * `fmt `, `fact` and `data` (LIST, id3, bext, JUNK, ...) are skipped by their sizes.
 */

const RIFF_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;
/** WAVEFORMATEXTENSIBLE, the longest fmt chunk read. */
const MAX_FORMAT_BYTES = 40;
/** A 32-bit size of 0xFFFFFFFF in RF64 means "see ds64". */
const SIZE_IN_DS64 = 0xffffffff;
const MAX_CHANNELS = 64;
const MAX_SAMPLE_RATE = 1_000_000;

const PCM = 0x0001;
const MS_ADPCM = 0x0002;
const IEEE_FLOAT = 0x0003;
const A_LAW = 0x0006;
const MU_LAW = 0x0007;
const IMA_ADPCM = 0x0011;
const MPEG_LAYER_3 = 0x0055;
const EXTENSIBLE = 0xfffe;
/** KSDATAFORMAT_SUBTYPE_* GUIDs end with these 14 bytes; their first two are the format tag. */
const SUBFORMAT_GUID_TAIL = '\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71';

interface WaveFormat {
  /**
   * pcm: the data is whole frames of `blockAlign` bytes (PCM, float, A-law, µ-law), so its
   * duration is exact; adpcm: blocks of `samplesPerBlock` samples; mpeg: MPEG audio frames.
   */
  kind: 'pcm' | 'adpcm' | 'mpeg';
  codec: string;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  samplesPerBlock: number;
}

/** Formats whose data is exactly frames of `blockAlign` bytes, by tag and bits per sample. */
function pcmCodec(tag: number, bits: number): string | undefined {
  if (tag === PCM && [8, 16, 24, 32].includes(bits))
    return bits === 8 ? 'pcm_u8' : `pcm_s${bits}le`;
  if (tag === IEEE_FLOAT && (bits === 32 || bits === 64)) return `pcm_f${bits}le`;
  if (tag === A_LAW && bits === 8) return 'pcm_alaw';
  if (tag === MU_LAW && bits === 8) return 'pcm_mulaw';
  return undefined;
}

const ADPCM_CODECS = new Map([
  [MS_ADPCM, 'adpcm_ms'],
  [IMA_ADPCM, 'adpcm_ima_wav'],
]);

/** The format tag, with WAVEFORMATEXTENSIBLE's sub-format in place of 0xFFFE. */
function formatTag(body: Uint8Array): number {
  const tag = u16le(body, 0);
  if (tag !== EXTENSIBLE) return tag;
  // cbSize 22, valid bits, channel mask, then the sub-format GUID.
  if (body.length < MAX_FORMAT_BYTES) throw new NotAudioError('WAV extensible fmt chunk too short');
  if (ascii(body, 26, 14) !== SUBFORMAT_GUID_TAIL) {
    throw new NotAudioError('WAV extensible format with an unknown sub-format');
  }
  const subFormat = u16le(body, 24);
  if (subFormat !== PCM && subFormat !== IEEE_FLOAT) {
    throw new NotAudioError('WAV extensible format that is neither PCM nor float');
  }
  return subFormat;
}

/** The fmt chunk's WAVEFORMAT(EX) fields, checked. */
function parseFormat(body: Uint8Array): WaveFormat {
  const tag = formatTag(body);
  const channels = u16le(body, 2);
  const sampleRate = u32le(body, 4);
  const byteRate = u32le(body, 8);
  const blockAlign = u16le(body, 12);
  const bitsPerSample = u16le(body, 14);
  if (channels < 1 || channels > MAX_CHANNELS) {
    throw new NotAudioError(`WAV file with ${channels} channels`);
  }
  if (sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE) {
    throw new NotAudioError(`WAV file with a sample rate of ${sampleRate} Hz`);
  }
  const format = { channels, sampleRate, blockAlign, samplesPerBlock: 1 };
  const pcm = pcmCodec(tag, bitsPerSample);
  if (pcm) {
    const frameBytes = (channels * bitsPerSample) / 8;
    if (blockAlign !== frameBytes || byteRate !== sampleRate * frameBytes) {
      throw new NotAudioError('WAV fmt chunk whose block size or byte rate contradicts its format');
    }
    return { ...format, kind: 'pcm', codec: pcm };
  }
  const adpcm = ADPCM_CODECS.get(tag);
  if (adpcm) {
    // WAVEFORMATEX cbSize, then wSamplesPerBlock.
    const samplesPerBlock = body.length >= 20 ? u16le(body, 18) : 0;
    if (blockAlign === 0 || samplesPerBlock === 0) {
      throw new NotAudioError('WAV ADPCM fmt chunk without a block size');
    }
    return { ...format, kind: 'adpcm', codec: adpcm, samplesPerBlock };
  }
  if (tag === MPEG_LAYER_3) return { ...format, kind: 'mpeg', codec: 'mp3', blockAlign: 1 };
  throw new NotAudioError(
    `WAV file in a format the service does not accept (tag 0x${tag.toString(16)}, ${bitsPerSample} bits)`,
  );
}

export async function verifyWav(reader: ByteReader): Promise<AudioInfo> {
  const header = await reader.need(0, RIFF_HEADER_BYTES, 'WAV file shorter than its header');
  const rf64 = ascii(header, 0, 4) === 'RF64';
  if ((!rf64 && ascii(header, 0, 4) !== 'RIFF') || ascii(header, 8, 4) !== 'WAVE') {
    throw new NotAudioError('The file is not a RIFF/WAVE file');
  }
  const countChunk = structureCounter(MAX_STRUCTURES, 'WAV chunks');
  let ds64DataSize: number | undefined;
  let format: WaveFormat | undefined;
  /** The `fact` chunk's sample count, which compressed formats must have. */
  let factSamples: number | undefined;
  let offset = RIFF_HEADER_BYTES;
  while (offset + CHUNK_HEADER_BYTES <= reader.size) {
    countChunk();
    const chunk = await reader.read(offset, CHUNK_HEADER_BYTES);
    const id = ascii(chunk, 0, 4);
    const size = u32le(chunk, 4);
    const body = offset + CHUNK_HEADER_BYTES;
    if (id === 'ds64' && rf64) {
      // riffSize (8 bytes), then dataSize (8 bytes).
      ds64DataSize = u64le(await reader.need(body, 16, 'WAV ds64 chunk cut short'), 8);
    } else if (id === 'fmt ') {
      if (size < 16) throw new NotAudioError('WAV fmt chunk too short');
      const length = Math.min(size, MAX_FORMAT_BYTES);
      format = parseFormat(await reader.need(body, length, 'WAV fmt chunk cut short'));
    } else if (id === 'fact' && size >= 4) {
      factSamples = u32le(await reader.need(body, 4, 'WAV fact chunk cut short'), 0);
    } else if (id === 'data') {
      if (!format) throw new NotAudioError('WAV data chunk before its fmt chunk');
      const declared = rf64 && size === SIZE_IN_DS64 ? ds64DataSize : size;
      if (declared === undefined) throw new NotAudioError('RF64 file without a ds64 chunk');
      const data = { start: body, bytes: Math.min(declared, reader.size - body) };
      return describe(reader, format, data, factSamples);
    }
    // Chunks are padded to an even length.
    offset = body + size + (size % 2);
  }
  throw new NotAudioError(
    format ? 'WAV file without a data chunk' : 'WAV file without a fmt chunk',
  );
}

/**
 * `data.bytes`: the declared size of the data chunk, or what the file holds if it holds less.
 * PCM durations are exact (whole frames present); ADPCM ones the `fact` sample count, at most
 * the samples of the blocks present; MPEG ones the `fact` count or the first frame's bitrate.
 */
async function describe(
  reader: ByteReader,
  format: WaveFormat,
  data: { start: number; bytes: number },
  factSamples: number | undefined,
): Promise<AudioInfo> {
  if (data.bytes < format.blockAlign) {
    throw new NotAudioError('WAV data chunk without a single whole block of samples');
  }
  let ms: number;
  let limitMs: number;
  if (format.kind === 'mpeg') {
    const frames = await findMpegFrames(reader, data.start, data.start + data.bytes);
    if (!frames) throw new NotAudioError('WAV file whose MPEG data holds no MPEG audio frames');
    ms = factSamples
      ? (factSamples / format.sampleRate) * 1000
      : (data.bytes * 8000) / frames.first.bitrate;
    limitMs = compressedLimitMs(data.bytes);
  } else {
    const blocks =
      format.kind === 'pcm'
        ? Math.floor(data.bytes / format.blockAlign)
        : Math.ceil(data.bytes / format.blockAlign);
    limitMs = ((blocks * format.samplesPerBlock) / format.sampleRate) * 1000;
    ms =
      format.kind === 'adpcm' && factSamples ? (factSamples / format.sampleRate) * 1000 : limitMs;
  }
  return {
    format: 'wav',
    contentType: 'audio/wav',
    codec: format.codec,
    sampleRate: format.sampleRate,
    channels: format.channels,
    durationMs: clampDurationMs(ms, limitMs),
  };
}

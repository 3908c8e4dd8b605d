import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type AudioOptions, ffmpegAudio, ffmpegLavfi, id3Tag } from './media-files.ts';
import { CHROMIUM_PATH, recordInEveryType } from './media-recorder.ts';

/**
 * A real-world corpus (issue 18): files the way real tools write them — encoders with their
 * ordinary settings, Debian's sound themes, Chromium's MediaRecorder, taggers, pipes and
 * recorders, many channels, tiny clips — and files that hold no audio. Everything is made at
 * test time (ffmpeg, Chromium) or read from installed packages, never checked in, so a case
 * of a class the local tools cannot make is skipped with a note rather than faked.
 */

export type CorpusGroup =
  | 'encoder'
  | 'sound theme'
  | 'MediaRecorder'
  | 'tagger'
  | 'pipe or recorder'
  | 'many channels'
  | 'tiny clip'
  | 'not audio';

interface CaseBase {
  name: string;
  group: CorpusGroup;
  /** The name the file is uploaded under. */
  filename: string;
  file: Buffer;
  /** Where the file lies in the corpus folder (for ffmpeg's reference decode). */
  path: string;
}

export type CorpusCase =
  | (CaseBase & { expect: 'audio' })
  | (CaseBase & {
      expect: 'refused';
      status: number;
      code: string;
      /** What the refusal's message must say it found (loosely, case-insensitive). */
      finding: RegExp;
    });

export interface Corpus {
  dir: string;
  cases: CorpusCase[];
  /** Cases the local tools cannot make, with the reason. */
  skipped: string[];
  remove(): void;
}

type Expectation =
  | { expect: 'audio' }
  | { expect: 'refused'; status: number; code: string; finding: RegExp };

interface Recipe {
  name: string;
  group: CorpusGroup;
  filename: string;
  expectation: Expectation;
  /** ffmpeg encoders the recipe needs; without one of them the case is skipped. */
  encoders?: string[];
  /** Skip (with a note) rather than fail when ffmpeg refuses to make it (experimental encoders). */
  optional?: boolean;
  make: () => Buffer;
}

// ---------------------------------------------------------------------------------------------
// Building the corpus

/** Every case, written into a fresh temporary folder. */
export async function buildCorpus(): Promise<Corpus> {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
  const skipped: string[] = [];
  const encoders = availableEncoders();
  const recipes = [
    ...encoderRecipes(),
    ...themeRecipes(),
    ...(await recorderRecipes(skipped)),
    ...taggerRecipes(),
    ...pipeRecipes(),
    ...channelRecipes(),
    ...tinyRecipes(),
    ...notAudioRecipes(),
  ];
  const cases: CorpusCase[] = [];
  for (const recipe of recipes) {
    const missing = (recipe.encoders ?? []).filter((encoder) => !encoders.has(encoder));
    if (missing.length > 0) {
      skipped.push(`${recipe.name}: this ffmpeg has no ${missing.join(', ')} encoder`);
      continue;
    }
    const file = makeOrSkip(recipe, skipped);
    if (!file) continue;
    const path = join(dir, `${String(cases.length).padStart(3, '0')}-${recipe.filename}`);
    writeFileSync(path, file);
    const { name, group, filename } = recipe;
    cases.push({ name, group, filename, file, path, ...recipe.expectation });
  }
  for (const note of skipped) console.info(`corpus: skipped ${note}`);
  return { dir, cases, skipped, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function makeOrSkip(recipe: Recipe, skipped: string[]): Buffer | undefined {
  try {
    return recipe.make();
  } catch (error) {
    if (!recipe.optional) throw error;
    skipped.push(`${recipe.name}: ${firstLine(error)}`);
    return undefined;
  }
}

const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/** The encoders this ffmpeg was built with (`ffmpeg -encoders`: " A....D name  description"). */
function availableEncoders(): Set<string> {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  const names = result.stdout.split('\n').map((line) => /^ [AVS][.A-Z]{5} (\S+)/.exec(line)?.[1]);
  return new Set(names.filter((name) => name !== undefined));
}

const AUDIO: Expectation = { expect: 'audio' };

function audio(
  group: CorpusGroup,
  name: string,
  filename: string,
  make: () => Buffer,
  encoders: string[] = [],
): Recipe {
  return { name, group, filename, expectation: AUDIO, encoders, make };
}

/** `seconds` (1 unless given) of a tone, encoded and muxed by ffmpeg. */
function tone(format: string, codec: string, options: Partial<AudioOptions> = {}): () => Buffer {
  return () => ffmpegAudio({ format, codec, ...options });
}

/**
 * The file made once, however many cases start from it (each ffmpeg run costs a fifth of a
 * second of CPU just to load its libraries). Cases that change it work on a copy.
 */
function once(make: () => Buffer): () => Buffer {
  let file: Buffer | undefined;
  return () => {
    file ??= make();
    return file;
  };
}

/** A tone case that needs only the encoder it names (most of them). */
function encoded(
  name: string,
  filename: string,
  format: string,
  codec: string,
  options: Partial<AudioOptions> = {},
): Recipe {
  return audio('encoder', name, filename, tone(format, codec, options), [codec]);
}

// ---------------------------------------------------------------------------------------------
// Encoders with their ordinary settings

const STEREO = { channels: 2 };

function encoderRecipes(): Recipe[] {
  const mp3 = 'libmp3lame';
  return [
    encoded('MP3 CBR 128k stereo', 'cbr128.mp3', 'mp3', mp3, { ...STEREO, args: ['-b:a', '128k'] }),
    encoded('MP3 CBR 320k stereo', 'cbr320.mp3', 'mp3', mp3, { ...STEREO, args: ['-b:a', '320k'] }),
    encoded('MP3 VBR V2 stereo', 'vbr-v2.mp3', 'mp3', mp3, { ...STEREO, args: ['-q:a', '2'] }),
    encoded('MP3 VBR V6 mono 22.05 kHz', 'vbr-v6.mp3', 'mp3', mp3, {
      sampleRate: 22050,
      args: ['-q:a', '6'],
    }),
    encoded('MP3 CBR 64k mono', 'mono64.mp3', 'mp3', mp3, { args: ['-b:a', '64k'] }),
    encoded('MP3 8 kHz mono (MPEG 2.5)', 'phone.mp3', 'mp3', mp3, {
      sampleRate: 8000,
      args: ['-b:a', '16k'],
    }),
    encoded('MPEG-1 Layer II 128k stereo named .mp3', 'layer2.mp3', 'mp2', 'mp2', {
      ...STEREO,
      args: ['-b:a', '128k'],
    }),
    encoded('MPEG-1 Layer II 64k mono named .mp3', 'layer2-mono.mp3', 'mp2', 'mp2', {
      sampleRate: 48000,
      args: ['-b:a', '64k'],
    }),
    encoded('MPEG-1 Layer II 192k stereo .mp2', 'broadcast.mp2', 'mp2', 'mp2', {
      ...STEREO,
      sampleRate: 48000,
      args: ['-b:a', '192k'],
    }),
    encoded('WAV PCM u8', 'u8.wav', 'wav', 'pcm_u8', { sampleRate: 22050 }),
    encoded('WAV PCM s16 stereo', 's16.wav', 'wav', 'pcm_s16le', STEREO),
    encoded('WAV PCM s24', 's24.wav', 'wav', 'pcm_s24le', { sampleRate: 48000 }),
    encoded('WAV PCM s32', 's32.wav', 'wav', 'pcm_s32le', { sampleRate: 96000 }),
    encoded('WAV PCM f32 stereo', 'f32.wav', 'wav', 'pcm_f32le', STEREO),
    encoded('WAV A-law', 'alaw.wav', 'wav', 'pcm_alaw', { sampleRate: 8000 }),
    encoded('WAV mu-law', 'mulaw.wav', 'wav', 'pcm_mulaw', { sampleRate: 8000 }),
    encoded('WAV IMA ADPCM', 'ima-adpcm.wav', 'wav', 'adpcm_ima_wav', STEREO),
    encoded('WAV Microsoft ADPCM', 'ms-adpcm.wav', 'wav', 'adpcm_ms', STEREO),
    encoded('WAV GSM 6.10', 'gsm.wav', 'wav', 'libgsm_ms', { sampleRate: 8000 }),
    encoded('WAV G.722', 'g722.wav', 'wav', 'g722', { sampleRate: 16000 }),
    encoded('Sony Wave64', 'wave64.w64', 'w64', 'pcm_s16le', STEREO),
    encoded('RF64', 'rf64.wav', 'wav', 'pcm_s24le', { ...STEREO, args: ['-rf64', 'always'] }),
    encoded('AIFF 16-bit', 's16.aiff', 'aiff', 'pcm_s16be'),
    encoded('AIFF 24-bit stereo', 's24.aif', 'aiff', 'pcm_s24be', { ...STEREO, sampleRate: 48000 }),
    encoded('AIFF-C sowt (little-endian PCM)', 'sowt.aifc', 'aiff', 'pcm_s16le', STEREO),
    encoded('AIFF-C ima4', 'ima4.aiff', 'aiff', 'adpcm_ima_qt', STEREO),
    encoded('FLAC 16-bit', 's16.flac', 'flac', 'flac'),
    encoded('FLAC 24-bit 96 kHz stereo', 's24.flac', 'flac', 'flac', {
      ...STEREO,
      sampleRate: 96000,
      args: ['-sample_fmt', 's32'],
    }),
    encoded('FLAC in Ogg', 'flac.oga', 'ogg', 'flac', STEREO),
    encoded('ALAC in .m4a', 'alac.m4a', 'ipod', 'alac', STEREO),
    encoded('AAC-LC in .m4a', 'aac.m4a', 'ipod', 'aac', STEREO),
    encoded('AAC-LC in .m4a, moov first', 'faststart.m4a', 'ipod', 'aac', {
      args: ['-movflags', '+faststart'],
    }),
    encoded('AAC-LC in .mp4', 'aac.mp4', 'mp4', 'aac', { sampleRate: 48000 }),
    encoded('AAC-LC in ADTS', 'adts.aac', 'adts', 'aac', STEREO),
    encoded('Opus in Ogg', 'opus.ogg', 'ogg', 'libopus', { sampleRate: 48000 }),
    encoded('Opus in .opus', 'voice.opus', 'opus', 'libopus', { ...STEREO, sampleRate: 48000 }),
    encoded('Opus in WebM', 'opus.webm', 'webm', 'libopus', { sampleRate: 48000 }),
    encoded('Opus in Matroska', 'opus.mka', 'matroska', 'libopus', { sampleRate: 48000 }),
    encoded('Opus in CAF', 'opus.caf', 'caf', 'libopus', { sampleRate: 48000 }),
    encoded('Vorbis in Ogg', 'vorbis.ogg', 'ogg', 'libvorbis', STEREO),
    encoded('Vorbis in WebM', 'vorbis.webm', 'webm', 'libvorbis'),
    encoded('Speex in Ogg', 'speex.ogg', 'ogg', 'libspeex', { sampleRate: 16000 }),
    encoded('Speex in .spx', 'speex.spx', 'spx', 'libspeex', { sampleRate: 16000 }),
    encoded('WMA v2 in .wma', 'wmav2.wma', 'asf', 'wmav2', STEREO),
    encoded('WMA v2 in .asf', 'wmav2.asf', 'asf', 'wmav2'),
    encoded('WMA v1 in .wma', 'wmav1.wma', 'asf', 'wmav1', STEREO),
    encoded('AMR-NB', 'voice.amr', 'amr', 'libopencore_amrnb', {
      sampleRate: 8000,
      args: ['-b:a', '12.2k'],
    }),
    encoded('CAF PCM', 'pcm.caf', 'caf', 'pcm_s16le', STEREO),
    encoded('CAF ALAC', 'alac.caf', 'caf', 'alac'),
    encoded('WavPack', 'sound.wv', 'wv', 'wavpack', STEREO),
    encoded('AC-3 stereo', 'sound.ac3', 'ac3', 'ac3', { ...STEREO, sampleRate: 48000 }),
    encoded('E-AC-3 stereo', 'sound.eac3', 'eac3', 'eac3', { ...STEREO, sampleRate: 48000 }),
    encoded('Sun AU 16-bit', 's16.au', 'au', 'pcm_s16be'),
    encoded('Sun AU mu-law', 'mulaw.au', 'au', 'pcm_mulaw', { sampleRate: 8000 }),
    encoded('Creative VOC', 'sound.voc', 'voc', 'pcm_u8', { sampleRate: 22050 }),
    encoded('True Audio (TTA)', 'sound.tta', 'tta', 'tta', STEREO),
    {
      ...encoded('DTS (experimental encoder)', 'sound.dts', 'dts', 'dca', {
        ...STEREO,
        sampleRate: 48000,
        args: ['-strict', '-2'],
      }),
      optional: true,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Debian's sound themes

const SOUNDS_DIR = '/usr/share/sounds';
const THEME_EXTENSIONS = new Set(['.oga', '.ogg', '.opus', '.wav', '.flac', '.mp3']);

/** Every sound file of every installed theme (sound-theme-freedesktop and any others). */
function themeRecipes(): Recipe[] {
  const files = existsSync(SOUNDS_DIR)
    ? readdirSync(SOUNDS_DIR, { recursive: true, encoding: 'utf8' })
        .filter((file) => THEME_EXTENSIONS.has(extname(file).toLowerCase()))
        .sort()
    : [];
  // The class must not vanish unnoticed on a machine without the package (.ci/run installs it).
  if (files.length === 0) {
    throw new Error(`no sound theme under ${SOUNDS_DIR}: apt-get install sound-theme-freedesktop`);
  }
  return files.map((file) =>
    audio('sound theme', file, basename(file), () => readFileSync(join(SOUNDS_DIR, file))),
  );
}

// ---------------------------------------------------------------------------------------------
// Chromium's MediaRecorder

const RECORDING_EXTENSIONS: Record<string, string> = {
  'audio/webm': 'webm',
  'audio/mp4': 'm4a',
  'audio/ogg': 'ogg',
  'audio/x-matroska': 'mka',
  'audio/wav': 'wav',
  'audio/mpeg': 'mp3',
};

/** One case per audio type Chromium's MediaRecorder supports, recorded once, up front. */
async function recorderRecipes(skipped: string[]): Promise<Recipe[]> {
  if (!existsSync(CHROMIUM_PATH)) {
    skipped.push(`MediaRecorder: no Chromium at ${CHROMIUM_PATH}`);
    return [];
  }
  const recordings = await recordInEveryType(1.5);
  return recordings.map(({ requested, mimeType, bytes }) => {
    const essence = mimeType.split(';')[0] ?? '';
    const filename = `recording.${RECORDING_EXTENSIONS[essence] ?? 'bin'}`;
    return audio('MediaRecorder', `${requested} (wrote ${mimeType})`, filename, () => bytes);
  });
}

// ---------------------------------------------------------------------------------------------
// Taggers

const latin1 = (text: string) => Buffer.from(text, 'latin1');

const syncsafe = (value: number) =>
  Buffer.from([(value >> 21) & 0x7f, (value >> 14) & 0x7f, (value >> 7) & 0x7f, value & 0x7f]);

/** An ID3v2.4 text frame (encoding 3: UTF-8), as a tagger writes a title or an artist. */
function id3TextFrame(id: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from([3]), Buffer.from(text)]);
  return Buffer.concat([latin1(id), syncsafe(body.length), Buffer.alloc(2), body]);
}

/** A tagger's ID3v2.4 tag: title and artist, then the padding taggers leave for edits. */
function taggerId3(): Buffer {
  const frames = [id3TextFrame('TIT2', 'Tagged tone'), id3TextFrame('TPE1', 'Corpus')];
  return id3Tag([...frames, Buffer.alloc(1024)]);
}

/** An ID3v1 tag: 128 bytes at the end of the file, fixed-width Latin-1 fields. */
function id3v1(title: string): Buffer {
  const tag = Buffer.alloc(128);
  tag.write('TAG', 0, 'latin1');
  tag.write(title.slice(0, 30), 3, 'latin1');
  tag.write('Corpus', 33, 'latin1');
  tag.write('2025', 93, 'latin1');
  tag[127] = 12; // genre "Other"
  return tag;
}

/**
 * An APEv2 tag (header, items, footer) as foobar2000 or mp3gain write it after the audio:
 * little-endian sizes; the size counts the items and the footer, not the header.
 */
function apeV2(items: Record<string, string>): Buffer {
  const fields = Object.entries(items).map(([key, value]) => {
    const sizes = Buffer.alloc(8);
    sizes.writeUInt32LE(Buffer.byteLength(value), 0);
    return Buffer.concat([sizes, latin1(key), Buffer.alloc(1), Buffer.from(value)]);
  });
  const body = Buffer.concat(fields);
  const headerOrFooter = (isHeader: boolean) => {
    const block = Buffer.alloc(32);
    block.write('APETAGEX', 0, 'latin1');
    block.writeUInt32LE(2000, 8);
    block.writeUInt32LE(body.length + 32, 12);
    block.writeUInt32LE(fields.length, 16);
    // Bit 31: the tag has a header; bit 29: this block is the header.
    block.writeUInt32LE((0x80000000 | (isHeader ? 0x20000000 : 0)) >>> 0, 20);
    return block;
  };
  return Buffer.concat([headerOrFooter(true), body, headerOrFooter(false)]);
}

const APE_ITEMS = { Title: 'Tagged tone', Artist: 'Corpus', REPLAYGAIN_TRACK_GAIN: '-3.1 dB' };

function withId3In(name: string, filename: string, make: () => Buffer, codec: string): Recipe {
  const tagged = () => Buffer.concat([taggerId3(), make()]);
  return audio('tagger', `ID3v2 tag in front of ${name}`, filename, tagged, [codec]);
}

/** An MP3 as LAME writes it, without the ID3v2 tag ffmpeg adds (taggers add their own). */
const plainMp3 = once(tone('mp3', 'libmp3lame', { ...STEREO, args: ['-id3v2_version', '0'] }));

/** Plain files the taggers, pipes and truncations start from. */
const stereoWav = once(tone('wav', 'pcm_s16le', STEREO));
const flac = once(tone('flac', 'flac'));

function taggerRecipes(): Recipe[] {
  const opus = { sampleRate: 48000 };
  return [
    withId3In('Ogg Opus', 'tagged.opus', tone('ogg', 'libopus', opus), 'libopus'),
    withId3In('Ogg Vorbis', 'tagged.ogg', tone('ogg', 'libvorbis'), 'libvorbis'),
    withId3In('WAV', 'tagged.wav', stereoWav, 'pcm_s16le'),
    withId3In('AIFF', 'tagged.aiff', tone('aiff', 'pcm_s16be'), 'pcm_s16be'),
    withId3In('FLAC', 'tagged.flac', flac, 'flac'),
    withId3In('WebM Opus', 'tagged.webm', tone('webm', 'libopus', opus), 'libopus'),
    withId3In('ADTS AAC', 'tagged.aac', tone('adts', 'aac'), 'aac'),
    audio(
      'tagger',
      'ID3v1 at the end of an MP3',
      'id3v1.mp3',
      () => Buffer.concat([plainMp3(), id3v1('Tagged tone')]),
      ['libmp3lame'],
    ),
    audio(
      'tagger',
      'ID3v2 in front and ID3v1 at the end of an MP3',
      'id3-both.mp3',
      () => Buffer.concat([taggerId3(), plainMp3(), id3v1('Tagged tone')]),
      ['libmp3lame'],
    ),
    audio(
      'tagger',
      'APEv2 at the end of an MP3',
      'ape.mp3',
      () => Buffer.concat([plainMp3(), apeV2(APE_ITEMS)]),
      ['libmp3lame'],
    ),
    audio(
      'tagger',
      'APEv2 then ID3v1 at the end of an MP3 (mp3gain)',
      'ape-id3v1.mp3',
      () => Buffer.concat([plainMp3(), apeV2(APE_ITEMS), id3v1('Tagged tone')]),
      ['libmp3lame'],
    ),
    audio(
      'tagger',
      'APEv2 at the end of a WavPack',
      'ape.wv',
      () => Buffer.concat([tone('wv', 'wavpack')(), apeV2(APE_ITEMS)]),
      ['wavpack'],
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Pipes and recorders

/** Where a WAV's `data` chunk starts (its id), walking the RIFF chunks. */
function wavDataChunk(wav: Buffer): number {
  let at = 12;
  while (wav.toString('latin1', at, at + 4) !== 'data') {
    const size = wav.readUInt32LE(at + 4);
    at += 8 + size + (size % 2);
  }
  return at;
}

/** The WAV with its RIFF and/or data sizes overwritten, as recorders that never seek back do. */
function wavWithSizes(wav: Buffer, sizes: { riff?: number; data?: number }): Buffer {
  const copy = Buffer.from(wav);
  if (sizes.riff !== undefined) copy.writeUInt32LE(sizes.riff, 4);
  if (sizes.data !== undefined) copy.writeUInt32LE(sizes.data, wavDataChunk(copy) + 4);
  return copy;
}

/** Deterministic noise bytes (xorshift32), so that a failing case fails the same way again. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const cut = (make: () => Buffer, bytes: number) => () => {
  const file = make();
  return file.subarray(0, file.length - bytes);
};

const skip = (make: () => Buffer, bytes: number) => () => make().subarray(bytes);

/** What an Icecast stream rip holds: frames with no tag and no Xing header. */
const streamMp3 = once(
  tone('mp3', 'libmp3lame', {
    ...STEREO,
    seconds: 2,
    args: ['-b:a', '128k', '-write_xing', '0', '-id3v2_version', '0'],
  }),
);

function pipeRecipes(): Recipe[] {
  const wav = stereoWav;
  const pipeRecipe = (name: string, filename: string, make: () => Buffer, codec: string) =>
    audio('pipe or recorder', name, filename, make, [codec]);
  const chained = (make: () => Buffer) => () => Buffer.concat([make(), make()]);
  return [
    pipeRecipe(
      'WAV written to a pipe (sizes 0xFFFFFFFF)',
      'pipe.wav',
      tone('wav', 'pcm_s16le', { ...STEREO, pipe: true }),
      'pcm_s16le',
    ),
    pipeRecipe(
      'WAV with RIFF and data sizes 0',
      'zero-sizes.wav',
      () => wavWithSizes(wav(), { riff: 0, data: 0 }),
      'pcm_s16le',
    ),
    pipeRecipe(
      'WAV with data size 0',
      'zero-data.wav',
      () => wavWithSizes(wav(), { data: 0 }),
      'pcm_s16le',
    ),
    pipeRecipe(
      'WAV whose data size claims ten times the file',
      'long-data.wav',
      () => {
        const file = wav();
        return wavWithSizes(file, { data: file.length * 10 });
      },
      'pcm_s16le',
    ),
    pipeRecipe(
      'WAV whose RIFF size is short of the file',
      'short-riff.wav',
      () => wavWithSizes(wav(), { riff: 1000 }),
      'pcm_s16le',
    ),
    pipeRecipe('MP3 stream rip starting mid-frame', 'rip.mp3', skip(streamMp3, 300), 'libmp3lame'),
    pipeRecipe(
      'MP3 stream rip starting in the second frame',
      'rip-later.mp3',
      skip(streamMp3, 777),
      'libmp3lame',
    ),
    pipeRecipe(
      'ADTS stream rip starting mid-frame',
      'rip.aac',
      skip(tone('adts', 'aac', { ...STEREO, seconds: 2 }), 200),
      'aac',
    ),
    pipeRecipe(
      'MP3 with a garbage tail',
      'garbage-tail.mp3',
      () => Buffer.concat([streamMp3(), pseudoRandomBytes(4096, 7)]),
      'libmp3lame',
    ),
    pipeRecipe(
      'MP3 with a tail of zeros',
      'zero-tail.mp3',
      () => Buffer.concat([streamMp3(), Buffer.alloc(8192)]),
      'libmp3lame',
    ),
    pipeRecipe('WAV three bytes short', 'short.wav', cut(wav, 3), 'pcm_s16le'),
    pipeRecipe('MP3 five bytes short', 'short.mp3', cut(plainMp3, 5), 'libmp3lame'),
    pipeRecipe('FLAC seven bytes short', 'short.flac', cut(flac, 7), 'flac'),
    pipeRecipe(
      'Ogg Vorbis cut in its last page',
      'short.ogg',
      cut(tone('ogg', 'libvorbis', { ...STEREO, seconds: 2 }), 100),
      'libvorbis',
    ),
    pipeRecipe(
      'chained Ogg Vorbis (two files concatenated)',
      'chained.ogg',
      chained(tone('ogg', 'libvorbis')),
      'libvorbis',
    ),
    pipeRecipe(
      'chained Ogg Opus (two files concatenated)',
      'chained.opus',
      chained(tone('ogg', 'libopus', { sampleRate: 48000 })),
      'libopus',
    ),
    pipeRecipe('two FLAC files concatenated', 'two.flac', chained(flac), 'flac'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Many channels

/** `channels` tones of different pitches, one per channel, from lavfi's aevalsrc. */
function multichannel(channels: number, codec: string, format: string, args: string[] = []) {
  return () => {
    const tones = Array.from({ length: channels }, (_, i) => `0.1*sin(2*PI*${220 + 55 * i}*t)`);
    return ffmpegLavfi(`aevalsrc=${tones.join('|')}:s=48000:d=1`, [
      '-c:a',
      codec,
      ...args,
      '-f',
      format,
    ]);
  };
}

function channelRecipes(): Recipe[] {
  const wavs = [6, 8, 10, 12, 16].map((channels) =>
    audio(
      'many channels',
      `${channels}-channel WAV`,
      `${channels}ch.wav`,
      multichannel(channels, 'pcm_s16le', 'wav'),
    ),
  );
  return [
    ...wavs,
    audio('many channels', '6-channel FLAC', '6ch.flac', multichannel(6, 'flac', 'flac'), ['flac']),
    audio('many channels', '8-channel Ogg Opus', '8ch.opus', multichannel(8, 'libopus', 'ogg'), [
      'libopus',
    ]),
    audio(
      'many channels',
      '10-channel Ogg Opus (mapping family 255)',
      '10ch.opus',
      multichannel(10, 'libopus', 'ogg', ['-mapping_family', '255']),
      ['libopus'],
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Tiny clips

/** The first `samples` samples of a tone. */
const samples = (count: number) => ['-af', `atrim=end_sample=${count}`];

function tinyRecipes(): Recipe[] {
  const tiny = (name: string, filename: string, make: () => Buffer, codec: string) =>
    audio('tiny clip', name, filename, make, [codec]);
  return [
    tiny(
      'WAV of 1 sample',
      '1-sample.wav',
      tone('wav', 'pcm_s16le', { args: samples(1) }),
      'pcm_s16le',
    ),
    tiny(
      'WAV of 10 samples',
      '10-samples.wav',
      tone('wav', 'pcm_s16le', { args: samples(10) }),
      'pcm_s16le',
    ),
    tiny(
      'WAV of 1 ms',
      '1ms.wav',
      tone('wav', 'pcm_s16le', { sampleRate: 48000, args: samples(48) }),
      'pcm_s16le',
    ),
    tiny('FLAC of 1 sample', '1-sample.flac', tone('flac', 'flac', { args: samples(1) }), 'flac'),
    tiny('MP3 of 1 ms', '1ms.mp3', tone('mp3', 'libmp3lame', { args: samples(44) }), 'libmp3lame'),
    tiny(
      'Ogg Opus of 1 ms',
      '1ms.opus',
      tone('ogg', 'libopus', { sampleRate: 48000, args: samples(48) }),
      'libopus',
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Files that hold no audio

function refused(
  name: string,
  filename: string,
  finding: RegExp,
  make: () => Buffer,
  encoders: string[] = [],
): Recipe {
  const expectation: Expectation = {
    expect: 'refused',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    finding,
  };
  return { name, group: 'not audio', filename, expectation, encoders, make };
}

const text = (content: string) => () => Buffer.from(content);

/** One frame of a test card, through an image encoder. */
const image = (codec: string, format: string) => () =>
  ffmpegLavfi('testsrc=size=64x48:rate=1', ['-frames:v', '1', '-c:v', codec, '-f', format]);

/** A second of a test card and no sound at all. */
const videoOnly = (codec: string, format: string) => () =>
  ffmpegLavfi('testsrc=duration=1:size=128x96:rate=10', [
    '-c:v',
    codec,
    '-pix_fmt',
    'yuv420p',
    '-f',
    format,
  ]);

/** A Standard MIDI File (SMF 1.0): a header chunk and one track playing middle C for a beat. */
function midiFile(tracks = 1): Buffer {
  const header = Buffer.alloc(14);
  header.write('MThd', 0, 'latin1');
  header.writeUInt32BE(6, 4);
  header.writeUInt16BE(tracks > 1 ? 1 : 0, 8); // format 0: one track; 1: simultaneous tracks
  header.writeUInt16BE(tracks, 10);
  header.writeUInt16BE(96, 12); // ticks per quarter note
  // Delta times and events: note on, note off a beat later, end of track.
  const events = Buffer.from([0x00, 0x90, 0x3c, 0x40, 0x60, 0x80, 0x3c, 0x40, 0x00, 0xff, 0x2f, 0]);
  const track = Buffer.alloc(8);
  track.write('MTrk', 0, 'latin1');
  track.writeUInt32BE(events.length, 4);
  return Buffer.concat([header, ...Array.from({ length: tracks }, () => [track, events]).flat()]);
}

/** A ZIP archive (APPNOTE 6.3) holding one stored (uncompressed) file. */
function zipArchive(name: string, content: Buffer): Buffer {
  const fileName = latin1(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4); // version needed
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // version made by
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const directoryAt = local.length + fileName.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(directoryAt, 16);
  return Buffer.concat([local, fileName, content, central, fileName, end]);
}

const PDF = `%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj
trailer << /Root 1 0 R >>
%%EOF
`;

const HLS = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:10
#EXTINF:10.0,
http://127.0.0.1:9/segment0.mp3
#EXT-X-ENDLIST
`;

const FFCONCAT = `ffconcat version 1.0
file 'http://127.0.0.1:9/sound.wav'
file '/etc/passwd'
`;

const TEXT = /text/i;
/** A playlist or a list of other files (ffconcat), or just text. */
const PLAYLIST = /playlist|\blist\b|text/i;
const VIDEO = /video|no audio/i;
const ANYTHING = /./;

function notAudioRecipes(): Recipe[] {
  return [
    refused('plain text', 'notes.txt', TEXT, text('Remember to upload the field recording.\n')),
    refused('plain text named .mp3', 'song.mp3', TEXT, text('This is not a song.\n')),
    refused(
      'HTML (an error page saved as the download)',
      'track.mp3',
      /html|text/i,
      text(
        '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body></body></html>\n',
      ),
    ),
    refused('JSON', 'sound.json', /json|text/i, text('{"title": "not a sound", "seconds": 3}\n')),
    refused('PNG image', 'cover.png', /PNG image/i, image('png', 'image2pipe'), ['png']),
    refused('JPEG image', 'cover.jpg', /JPEG image/i, image('mjpeg', 'image2pipe'), ['mjpeg']),
    refused('GIF image', 'cover.gif', /GIF image/i, image('gif', 'gif'), ['gif']),
    refused('PDF document', 'score.pdf', /PDF document/i, text(PDF)),
    refused('ZIP archive of a WAV', 'sounds.zip', /ZIP archive/i, () =>
      zipArchive('tone.wav', ffmpegAudio({ format: 'wav', codec: 'pcm_s16le', seconds: 0.1 })),
    ),
    refused('MIDI file (format 0)', 'song.mid', /MIDI file/i, () => midiFile(1)),
    refused('MIDI file (format 1) named .mp3', 'song.mp3', /MIDI file/i, () => midiFile(2)),
    refused('bare ID3v2 header alone', 'empty-tag.mp3', ANYTHING, () => id3Tag()),
    refused('ID3v2 tag alone (title, artist, padding)', 'tag-only.mp3', ANYTHING, taggerId3),
    refused('HLS playlist naming a URL', 'stream.m3u8', PLAYLIST, text(HLS)),
    refused('HLS playlist named .mp3', 'stream.mp3', PLAYLIST, text(HLS)),
    refused('ffconcat list', 'list.ffconcat', PLAYLIST, text(FFCONCAT)),
    refused('ffconcat list named .wav', 'list.wav', PLAYLIST, text(FFCONCAT)),
    refused('video only: MPEG-4 Part 2 in .mp4', 'clip.mp4', VIDEO, videoOnly('mpeg4', 'mp4'), [
      'mpeg4',
    ]),
    refused('video only: H.264 in .mkv', 'clip.mkv', VIDEO, videoOnly('libx264', 'matroska'), [
      'libx264',
    ]),
    refused('video only: VP8 in .webm', 'clip.webm', VIDEO, videoOnly('libvpx', 'webm'), [
      'libvpx',
    ]),
    refused('random bytes named .mp3', 'noise.mp3', ANYTHING, () => pseudoRandomBytes(65536, 1)),
    refused('random bytes named .wav', 'noise.wav', ANYTHING, () => pseudoRandomBytes(1024, 2)),
    {
      name: 'empty file',
      group: 'not audio',
      filename: 'empty.wav',
      expectation: { expect: 'refused', status: 400, code: 'EMPTY_FILE', finding: /empty/i },
      make: () => Buffer.alloc(0),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// ffmpeg's own answer

export interface Reference {
  sampleRate: number;
  /** Samples (per channel) ffmpeg's decoder yields for the first audio stream. */
  samples: number;
  durationMs: number;
  /** "Within one frame": max(2 ms, the longest packet of the stream); a PCM frame is a sample. */
  toleranceMs: number;
}

interface ProbedStream {
  streams?: { codec_name?: string; sample_rate?: string }[];
  /** Asked for both, ffprobe lists packets and frames together, in file order. */
  packets_and_frames?: { type: 'packet' | 'frame'; duration_time?: string; nb_samples?: number }[];
}

/**
 * How long ffmpeg says the file plays: the samples its decoder yields for the first audio
 * stream (ffprobe's decoded frames, summed: the decoder's own answer, encoder delay and
 * padding already trimmed, which the ffmpeg command line's timestamp fixing would blur for
 * two concatenated FLACs), and the longest packet ffprobe reports for that stream.
 */
export async function referenceDecode(path: string): Promise<Reference> {
  const output = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'a:0', '-of', 'json', '-show_entries'],
    ...['stream=codec_name,sample_rate:packet=duration_time:frame=nb_samples', path],
  ]);
  const probe = JSON.parse(output.toString()) as ProbedStream;
  const [stream] = probe.streams ?? [];
  const sampleRate = Number(stream?.sample_rate);
  if (!(sampleRate > 0)) throw new Error(`ffprobe found no audio stream in ${path}`);
  const entries = probe.packets_and_frames ?? [];
  const frames = entries.filter((entry) => entry.type === 'frame');
  const samples = frames.reduce((sum, frame) => sum + (frame.nb_samples ?? 0), 0);
  const durationMs = (samples * 1000) / sampleRate;
  // 2^31 samples or more is a negative duration wrapped around, not a frame: the Ogg demuxer
  // reports 2^32 - 223 samples for the last packet of one freedesktop sound.
  const packetMs = entries
    .filter((entry) => entry.type === 'packet')
    .map((packet) => Number(packet.duration_time) * 1000)
    .filter((ms) => ms > 0 && (ms / 1000) * sampleRate < 2 ** 31);
  const pcm = stream?.codec_name?.startsWith('pcm_') ?? false;
  const toleranceMs = Math.max(2, ...(pcm ? [] : packetMs));
  return { sampleRate, samples, durationMs, toleranceMs };
}

/** The codec of a file's first audio stream, as ffprobe reads it from standard input. */
export async function audioCodecOf(file: Buffer): Promise<string> {
  const args = ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=codec_name'];
  const output = await run('ffprobe', [...args, '-of', 'csv=p=0', 'pipe:0'], file);
  return output.toString().trim();
}

/**
 * A tool's standard output (fed `input`); rejects with its standard error when it exits with
 * an error. Asynchronous, so that the API under test, in this process, keeps running.
 */
function run(command: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // A tool that has read all it needs may close its input early: not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${command} exited ${code}: ${Buffer.concat(err).toString()}`));
    });
  });
}

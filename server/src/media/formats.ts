/**
 * The audio formats Cloud Sound takes: every container ffmpeg demuxes to audio that people
 * actually upload. ffprobe names the container (its demuxer) and the codec; this table turns
 * that into the family people know, the type `/audio` is served with and the file name ending a
 * download gets. The demuxers listed here are the only ones ffmpeg and ffprobe may open an
 * upload with (`-format_whitelist`): no playlist, list, image, subtitle or data demuxer, so a
 * file can never make them read anything but itself.
 */

export interface AudioFamily {
  /** As people call it, e.g. "MP3". */
  name: string;
  /** Media types a file picker and clients may know it by; the first is what we serve. */
  types: string[];
  /** File name endings, the first the canonical one. */
  extensions: string[];
  /** ffmpeg's demuxers for it. */
  demuxers: string[];
}

export const AUDIO_FAMILIES: readonly AudioFamily[] = [
  { name: 'MP3', types: ['audio/mpeg'], extensions: ['.mp3', '.mp2', '.mpga'], demuxers: ['mp3'] },
  {
    name: 'WAV',
    types: ['audio/wav', 'audio/x-wav', 'audio/vnd.wave'],
    extensions: ['.wav', '.wave', '.bwf', '.rf64'],
    demuxers: ['wav'],
  },
  { name: 'Wave64', types: ['audio/x-w64'], extensions: ['.w64'], demuxers: ['w64'] },
  {
    name: 'AIFF',
    types: ['audio/aiff', 'audio/x-aiff'],
    extensions: ['.aiff', '.aif', '.aifc'],
    demuxers: ['aiff'],
  },
  {
    name: 'FLAC',
    types: ['audio/flac', 'audio/x-flac'],
    extensions: ['.flac'],
    demuxers: ['flac'],
  },
  {
    name: 'Ogg (Vorbis, Opus, FLAC, Speex)',
    types: ['audio/ogg', 'audio/opus'],
    extensions: ['.ogg', '.oga', '.opus', '.spx'],
    demuxers: ['ogg'],
  },
  {
    name: 'M4A (AAC, ALAC)',
    types: ['audio/mp4', 'audio/x-m4a', 'audio/3gpp'],
    extensions: ['.m4a', '.mp4', '.m4b', '.3gp', '.3ga'],
    demuxers: ['mov'],
  },
  {
    name: 'AAC',
    types: ['audio/aac', 'audio/x-aac'],
    extensions: ['.aac'],
    demuxers: ['aac', 'loas'],
  },
  {
    name: 'WebM and Matroska',
    types: ['audio/webm', 'audio/x-matroska'],
    extensions: ['.webm', '.mka', '.mkv'],
    demuxers: ['matroska'],
  },
  {
    name: 'WMA',
    types: ['audio/x-ms-wma'],
    extensions: ['.wma', '.asf'],
    demuxers: ['asf', 'xwma'],
  },
  {
    name: 'AMR',
    types: ['audio/amr', 'audio/amr-wb'],
    extensions: ['.amr', '.awb'],
    demuxers: ['amr'],
  },
  { name: 'CAF', types: ['audio/x-caf'], extensions: ['.caf'], demuxers: ['caf'] },
  {
    name: 'WavPack',
    types: ['audio/wavpack', 'audio/x-wavpack'],
    extensions: ['.wv'],
    demuxers: ['wv'],
  },
  {
    name: 'AC-3 and E-AC-3',
    types: ['audio/ac3', 'audio/eac3'],
    extensions: ['.ac3', '.eac3', '.ec3'],
    demuxers: ['ac3', 'eac3'],
  },
  {
    name: 'DTS',
    types: ['audio/vnd.dts'],
    extensions: ['.dts', '.dtshd'],
    demuxers: ['dts', 'dtshd'],
  },
  { name: 'AU', types: ['audio/basic'], extensions: ['.au', '.snd'], demuxers: ['au'] },
  { name: "Monkey's Audio", types: ['audio/x-ape'], extensions: ['.ape'], demuxers: ['ape'] },
  { name: 'TTA', types: ['audio/x-tta'], extensions: ['.tta'], demuxers: ['tta'] },
  { name: 'TAK', types: ['audio/x-tak'], extensions: ['.tak'], demuxers: ['tak'] },
  {
    name: 'Musepack',
    types: ['audio/x-musepack'],
    extensions: ['.mpc'],
    demuxers: ['mpc', 'mpc8'],
  },
  { name: 'Shorten', types: ['audio/x-shorten'], extensions: ['.shn'], demuxers: ['shn'] },
  { name: 'DSD', types: ['audio/x-dsf'], extensions: ['.dsf'], demuxers: ['dsf'] },
  { name: 'Creative Voice', types: ['audio/x-voc'], extensions: ['.voc'], demuxers: ['voc'] },
  { name: 'IFF 8SVX', types: ['audio/x-8svx'], extensions: ['.8svx', '.iff'], demuxers: ['iff'] },
  {
    name: 'NIST SPHERE',
    types: ['audio/x-nist'],
    extensions: ['.sph', '.nist'],
    demuxers: ['nistsphere'],
  },
  { name: 'QCP', types: ['audio/qcelp'], extensions: ['.qcp'], demuxers: ['qcp'] },
];

/** `-format_whitelist`: the demuxers of every family, and nothing else. */
export const DEMUXER_ALLOW_LIST = AUDIO_FAMILIES.flatMap((family) => family.demuxers).join(',');

/** "MP3, WAV, … or QCP", for messages and documentation. */
export const AUDIO_FAMILY_NAMES = AUDIO_FAMILIES.map((family) => family.name)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

const familyByDemuxer = new Map(
  AUDIO_FAMILIES.flatMap((family) => family.demuxers.map((demuxer) => [demuxer, family] as const)),
);

/** The family of ffprobe's `format_name` (a comma list, e.g. `matroska,webm`). */
export function familyOfDemuxer(formatName: string): AudioFamily | undefined {
  for (const name of formatName.split(',')) {
    const family = familyByDemuxer.get(name.trim());
    if (family) return family;
  }
  return undefined;
}

/** ffmpeg's `-f` for a `format_name` ffprobe gave: the first of its names we allow. */
export function demuxerOf(formatName: string): string | undefined {
  return formatName
    .split(',')
    .map((name) => name.trim())
    .find((name) => familyByDemuxer.has(name));
}

/** What the container and its audio codec say the file is, as served by `/audio`. */
export function contentTypeOf(found: {
  demuxer: string;
  codec: string;
  /** Matroska's DocType (`webm` or `matroska`), read from the file's first bytes. */
  ebmlDocType?: string | undefined;
  /** An MP4 file's `major_brand` (3GPP files are `3gp…`). */
  majorBrand?: string | undefined;
}): string {
  const { demuxer, codec } = found;
  switch (demuxer) {
    case 'ogg':
      if (codec === 'opus') return 'audio/ogg; codecs=opus';
      if (codec === 'flac') return 'audio/ogg; codecs=flac';
      if (codec === 'speex') return 'audio/ogg; codecs=speex';
      return 'audio/ogg';
    case 'matroska':
      return found.ebmlDocType === 'webm' ? 'audio/webm' : 'audio/x-matroska';
    case 'mov':
      return found.majorBrand?.startsWith('3gp') ? 'audio/3gpp' : 'audio/mp4';
    case 'amr':
      return codec === 'amr_wb' ? 'audio/amr-wb' : 'audio/amr';
    case 'eac3':
      return 'audio/eac3';
    default:
      return familyByDemuxer.get(demuxer)?.types[0] ?? 'application/octet-stream';
  }
}

/** The file name ending of a type we serve, e.g. `.opus` for `audio/ogg; codecs=opus`. */
export function extensionOf(contentType: string): string | undefined {
  const [type = '', ...parameters] = contentType
    .split(';')
    .map((part) => part.trim().toLowerCase());
  const codec = parameters.find((part) => part.startsWith('codecs='))?.slice('codecs='.length);
  if (type === 'audio/ogg' && codec === 'opus') return '.opus';
  if (type === 'audio/ogg' && codec === 'speex') return '.spx';
  if (type === 'audio/ogg' && codec === 'flac') return '.oga';
  if (type === 'audio/x-matroska') return '.mka';
  if (type === 'audio/3gpp') return '.3gp';
  if (type === 'audio/amr-wb') return '.awb';
  if (type === 'audio/eac3') return '.eac3';
  return AUDIO_FAMILIES.find((family) => family.types.includes(type))?.extensions[0];
}

/** Whether `filename` already ends the way files of `contentType` are named. */
export function hasExtensionOf(filename: string, contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const family = AUDIO_FAMILIES.find((candidate) => candidate.types.includes(type));
  const ending = filename.toLowerCase().match(/\.[^.]+$/)?.[0];
  return ending !== undefined && (family?.extensions.includes(ending) ?? false);
}

import { parseAdtsHeader, verifyAdts } from './adts.ts';
import { verifyAiff } from './aiff.ts';
import { ascii } from './bytes.ts';
import { verifyFlac } from './flac.ts';
import { id3v2TagLength, skipId3v2Tags } from './id3.ts';
import { verifyMp4 } from './mp4.ts';
import { parseMpegFrameHeader, verifyMpeg } from './mpeg.ts';
import { verifyOgg } from './ogg.ts';
import { ByteReader } from './reader.ts';
import { type AudioFormat, type AudioInfo, type ByteSource, NotAudioError } from './types.ts';
import { verifyWav } from './wav.ts';
import { verifyWebm } from './webm.ts';

/**
 * The upload check: what an untrusted file is, from its own structure. sniffAudioFormat looks
 * at the first bytes only; inspectAudio verifies that real audio frames follow the container's
 * headers, reading as little of the file as it can.
 */

export { clampDurationMs } from './duration.ts';
export type { AudioFormat, AudioInfo, ByteSource } from './types.ts';
export { NotAudioError, OverBudgetError } from './types.ts';

/** The container whose magic number (or, for MPEG and ADTS, first frame header) starts `head`. */
function containerOf(head: Uint8Array): AudioFormat | undefined {
  const magic = ascii(head, 0, 4);
  const formType = ascii(head, 8, 4);
  if (magic === 'fLaC') return 'flac';
  if (magic === 'OggS') return 'ogg';
  if ((magic === 'RIFF' || magic === 'RF64') && formType === 'WAVE') return 'wav';
  if (magic === 'FORM' && (formType === 'AIFF' || formType === 'AIFC')) return 'aiff';
  if (magic === '\x1a\x45\xdf\xa3') return 'webm';
  if (ascii(head, 4, 4) === 'ftyp') return 'mp4';
  if (parseAdtsHeader(head, 0)) return 'adts';
  if (parseMpegFrameHeader(head, 0)) return 'mpeg';
  return undefined;
}

/**
 * What the first bytes of a file say it is: 'id3' when it starts with an ID3v2 tag (what
 * follows is decided by inspectAudio: the tag may be longer than `head`), undefined when it is
 * none of the accepted containers. An EBML file is 'webm' here whatever its DocType.
 */
export function sniffAudioFormat(head: Uint8Array): AudioFormat | 'id3' | undefined {
  if (id3v2TagLength(head) !== undefined) return 'id3';
  return containerOf(head);
}

/** The bytes containerOf looks at. */
const MAGIC_BYTES = 12;

/**
 * Verifies that the file is audio in one of the accepted containers and describes it.
 * Throws NotAudioError (with a message for people) when it is not, OverBudgetError when
 * checking it would walk more structures than the limits allow (or the source's byte budget).
 */
export async function inspectAudio(source: ByteSource): Promise<AudioInfo> {
  const reader = new ByteReader(source);
  const start = await skipId3v2Tags(reader);
  const format = containerOf(await reader.read(start, MAGIC_BYTES));
  if (start > 0) {
    // An ID3v2 tag comes before MPEG audio, sometimes ADTS or FLAC (older taggers wrote them);
    // no player expects one in front of the other containers. MPEG frames need not start
    // right after it: verifyMpeg looks for them within the first 64 KiB.
    if (format === 'flac') return verifyFlac(reader, start);
    if (format === 'adts') return verifyAdts(reader, start);
    return verifyMpeg(reader, start, true);
  }
  switch (format) {
    case 'mpeg':
      return verifyMpeg(reader, start, false);
    case 'adts':
      return verifyAdts(reader, start);
    case 'flac':
      return verifyFlac(reader, start);
    case 'wav':
      return verifyWav(reader);
    case 'aiff':
      return verifyAiff(reader);
    case 'ogg':
      return verifyOgg(reader);
    case 'webm':
      return verifyWebm(reader);
    case 'mp4':
      return verifyMp4(reader);
    case undefined:
      throw new NotAudioError('The file is not audio in any of the accepted formats');
  }
}

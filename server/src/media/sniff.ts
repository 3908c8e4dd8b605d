/**
 * The cheap look at an upload's first bytes, before anything is stored: it refuses what is
 * plainly not sound (an image, a document, an archive, a program, text, MIDI) with words for
 * people, so such files never reach ffprobe; everything else goes on to the decoder, which is
 * the judge. It also reads the one thing ffprobe does not tell: Matroska's DocType.
 */

export interface Sniffed {
  /** Set when the file is plainly not sound: what it is, e.g. "a PNG image". */
  notAudio?: string;
  /** What the first bytes suggest, served until ffprobe says better (no ffmpeg on the machine). */
  likelyType?: string;
  /** Matroska's DocType (`webm`, `matroska`) when the file is EBML. */
  ebmlDocType?: string;
}

/** Signatures of things that are not sound, by what they start with. */
const NOT_AUDIO: Array<[signature: string | number[], offset: number, what: string]> = [
  [[0x89, 0x50, 0x4e, 0x47], 0, 'a PNG image'],
  [[0xff, 0xd8, 0xff], 0, 'a JPEG image'],
  ['GIF8', 0, 'a GIF image'],
  ['WEBP', 8, 'a WebP image'],
  ['II*\u0000', 0, 'a TIFF image'],
  ['MM\u0000*', 0, 'a TIFF image'],
  ['%PDF-', 0, 'a PDF document'],
  ['PK\u0003\u0004', 0, 'a ZIP archive (or an office document)'],
  [[0x1f, 0x8b], 0, 'a gzip archive'],
  ['7z\u00bc\u00af', 0, 'a 7-Zip archive'],
  ['Rar!', 0, 'a RAR archive'],
  ['MThd', 0, 'a MIDI file — notes, not recorded sound'],
  ['RMID', 8, 'a MIDI file — notes, not recorded sound'],
  [[0x7f, 0x45, 0x4c, 0x46], 0, 'a program'],
  ['MZ', 0, 'a program'],
];

/** Signatures of audio containers, for the type served before ffprobe has looked. */
const LIKELY_AUDIO: Array<[signature: string, offset: number, type: string]> = [
  ['ID3', 0, 'audio/mpeg'],
  ['fLaC', 0, 'audio/flac'],
  ['OggS', 0, 'audio/ogg'],
  ['WAVE', 8, 'audio/wav'],
  ['AIFF', 8, 'audio/aiff'],
  ['AIFC', 8, 'audio/aiff'],
  ['caff', 0, 'audio/x-caf'],
  ['wvpk', 0, 'audio/wavpack'],
  ['#!AMR', 0, 'audio/amr'],
  ['.snd', 0, 'audio/basic'],
  ['ftyp', 4, 'audio/mp4'],
];

export function sniff(head: Uint8Array): Sniffed {
  for (const [signature, offset, what] of NOT_AUDIO) {
    if (startsWith(head, signature, offset)) return { notAudio: what };
  }
  const ebmlDocType = startsWith(head, [0x1a, 0x45, 0xdf, 0xa3], 0) ? docTypeOf(head) : undefined;
  if (ebmlDocType) {
    return { ebmlDocType, likelyType: ebmlDocType === 'webm' ? 'audio/webm' : 'audio/x-matroska' };
  }
  const likely = LIKELY_AUDIO.find(([signature, offset]) => startsWith(head, signature, offset));
  if (likely) return { likelyType: likely[2] };
  if (isText(head)) return { notAudio: describeText(head) };
  return {};
}

function startsWith(bytes: Uint8Array, signature: string | number[], offset: number): boolean {
  const codes =
    typeof signature === 'string' ? Array.from(signature, (c) => c.charCodeAt(0)) : signature;
  if (bytes.length < offset + codes.length) return false;
  return codes.every((code, i) => bytes[offset + i] === code);
}

/**
 * Text: all of the head decodes as UTF-8 with no control characters but tabs, line breaks and
 * form feeds. Audio formats with a text header (AMR's `#!AMR`, NIST SPHERE) carry binary
 * samples right after it, well within the head.
 */
function isText(head: Uint8Array): boolean {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The head may end inside a character of up to four bytes: that much may be cut off.
  for (let cut = 0; cut < 4 && cut < head.length; cut++) {
    try {
      const text = decoder.decode(head.subarray(0, head.length - cut));
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
      return !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text);
    } catch {
      // Not UTF-8 this far: try once more without the last byte.
    }
  }
  return false;
}

function describeText(head: Uint8Array): string {
  const start = new TextDecoder().decode(head.subarray(0, 512)).trimStart();
  if (/^#EXTM3U|^\[playlist\]|^<\?xml[^>]*>\s*<(playlist|smil)/i.test(start)) {
    return 'a playlist — it names other files, it holds no sound';
  }
  if (/^ffconcat/i.test(start)) return 'a list of other files, it holds no sound';
  if (/^<(!doctype html|html)/i.test(start)) return 'a web page (HTML text)';
  return 'text';
}

/** The DocType of an EBML header (the first element of a Matroska or WebM file). */
function docTypeOf(head: Uint8Array): string | undefined {
  // The DocType element, 0x4282, followed by a one-byte size (1xxxxxxx), within the header.
  for (let i = 4; i + 3 < Math.min(head.length, 64); i++) {
    if (head[i] !== 0x42 || head[i + 1] !== 0x82) continue;
    const sizeByte = head[i + 2] as number;
    if ((sizeByte & 0x80) === 0) return undefined;
    const size = sizeByte & 0x7f;
    return new TextDecoder().decode(head.subarray(i + 3, i + 3 + size)).replace(/\0+$/, '');
  }
  return undefined;
}

import { ascii, u8, u32le } from './bytes.ts';
import { MAX_METADATA_BLOCKS, structureCounter } from './limits.ts';
import type { ByteReader } from './reader.ts';
import { NotAudioError } from './types.ts';

/**
 * ID3v2 tags in front of the audio and the ID3v1/APE tags behind it. Only their sizes are read:
 * what a tag says is never parsed.
 */

const ID3V2_HEADER_BYTES = 10;
const ID3V2_FOOTER_FLAG = 0x10;
const ID3V1_BYTES = 128;
const APE_FOOTER_BYTES = 32;
const APE_HAS_HEADER = 0x80000000;

/**
 * The whole length of the ID3v2 tag at the start of `bytes` (header, body and footer), or
 * undefined when none starts there. ID3v2.4 §3.1: "ID3", major version 2 to 4, a revision
 * below 0xFF, flags, and a 28-bit syncsafe size (the top bit of each of its four bytes is 0).
 */
export function id3v2TagLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < ID3V2_HEADER_BYTES || ascii(bytes, 0, 3) !== 'ID3') return undefined;
  const major = u8(bytes, 3);
  if (major < 2 || major > 4 || u8(bytes, 4) === 0xff) return undefined;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    const byte = u8(bytes, i);
    if (byte >= 0x80) return undefined;
    size = size * 128 + byte;
  }
  const footer = major === 4 && (u8(bytes, 5) & ID3V2_FOOTER_FLAG) !== 0;
  return ID3V2_HEADER_BYTES + size + (footer ? ID3V2_HEADER_BYTES : 0);
}

/** Where the audio starts: after every ID3v2 tag at the start of the file (there may be several). */
export async function skipId3v2Tags(reader: ByteReader): Promise<number> {
  const countTag = structureCounter(MAX_METADATA_BLOCKS, 'ID3 tags');
  let offset = 0;
  for (;;) {
    const length = id3v2TagLength(await reader.read(offset, ID3V2_HEADER_BYTES));
    if (length === undefined) return offset;
    countTag();
    offset += length;
    if (offset >= reader.size) {
      throw new NotAudioError('The file is not audio: nothing follows its ID3 tag');
    }
  }
}

/**
 * Where the audio of a frame stream (MPEG, ADTS) ends: before a trailing ID3v1 tag (the last
 * 128 bytes, starting "TAG") and an APEv2 tag before it (a 32-byte "APETAGEX" footer whose
 * size counts the items and the footer, plus a 32-byte header when its flags say so).
 */
export async function endBeforeTrailingTags(
  reader: ByteReader,
  audioStart: number,
): Promise<number> {
  let end = reader.size;
  if (end - audioStart >= ID3V1_BYTES) {
    if (ascii(await reader.read(end - ID3V1_BYTES, 3), 0, 3) === 'TAG') end -= ID3V1_BYTES;
  }
  if (end - audioStart >= APE_FOOTER_BYTES) {
    const footer = await reader.read(end - APE_FOOTER_BYTES, APE_FOOTER_BYTES);
    if (ascii(footer, 0, 8) === 'APETAGEX') {
      const header = (u32le(footer, 20) & APE_HAS_HEADER) !== 0 ? APE_FOOTER_BYTES : 0;
      const length = u32le(footer, 12) + header;
      if (length >= APE_FOOTER_BYTES && length <= end - audioStart) end -= length;
    }
  }
  return end;
}

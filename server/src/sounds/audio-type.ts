import { fileTypeFromBuffer } from 'file-type';

/** How many leading bytes are read to recognise the format. */
export const SNIFF_BYTES = 64 * 1024;

// Containers that file-type names as video but that browsers play as audio when they hold audio.
const AUDIO_CONTAINERS: Record<string, string> = {
  'video/webm': 'audio/webm',
  'video/mp4': 'audio/mp4',
  'audio/x-m4a': 'audio/mp4',
  'video/ogg': 'audio/ogg',
};

/**
 * The real type of an upload, from its first bytes (never from the client's filename or
 * Content-Type, which can lie). Undefined when the bytes are not a known audio format.
 */
export async function detectAudioType(head: Uint8Array): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head).catch(() => undefined);
  const mime = detected ? (AUDIO_CONTAINERS[detected.mime] ?? detected.mime) : undefined;
  if (mime?.startsWith('audio/')) return mime;
  // An ID3v2 tag (cover art included) can be longer than the sniffed bytes; it only ever
  // precedes MPEG audio in practice.
  if (!mime && Buffer.from(head.subarray(0, 3)).toString('latin1') === 'ID3') return 'audio/mpeg';
  return undefined;
}

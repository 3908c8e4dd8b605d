/**
 * What the upload check learns from a file's own structure, and the two ways it can say no.
 * The parsers in this folder read untrusted bytes; they run only in the inspection worker
 * (see ../inspector.ts), never on the API's event loop.
 */

/** The containers the API accepts. */
export type AudioFormat = 'mpeg' | 'adts' | 'wav' | 'aiff' | 'flac' | 'ogg' | 'webm' | 'mp4';

/** A file, read piece by piece (from memory in tests, by HTTP Range from file_store in production). */
export interface ByteSource {
  /** Total size of the file in bytes. */
  readonly size: number;
  /**
   * Up to `length` bytes starting at `offset`; fewer only where the file ends. Throws
   * OverBudgetError once the reads together exceed the source's byte budget.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface AudioInfo {
  format: AudioFormat;
  /** The type the sound is served with, e.g. `audio/mpeg`, `audio/ogg; codecs=opus`. */
  contentType: string;
  /** The codec of the audio stream, e.g. `mp3`, `aac`, `pcm_s16le`, `flac`, `vorbis`, `opus`. */
  codec: string;
  sampleRate: number;
  channels: number;
  /**
   * From the container's own header (or an estimate from the first frames' bitrate), clamped
   * to what the file's size allows for its format; null when the header has none.
   */
  durationMs: number | null;
}

/** The bytes are not audio the API accepts; the message says why, for people. */
export class NotAudioError extends Error {
  override name = 'NotAudioError';
}

/** Checking the file would take more than its budget (bytes read, structures walked). */
export class OverBudgetError extends Error {
  override name = 'OverBudgetError';
}

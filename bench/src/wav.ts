// Upload bodies: real 16-bit stereo PCM WAV files of an exact size, generated as a stream of
// slices of one precomputed block, so even a 100 MiB file never sits in memory; and WAV files
// of any 16-bit format written to disk the same way (the resumable section's gigabyte).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const SAMPLE_RATE = 44_100;
const CHANNELS = 2;
const BYTES_PER_FRAME = CHANNELS * 2;
export const WAV_HEADER_BYTES = 44;

/** A 16-bit PCM format: the streamed bodies are 44.1 kHz stereo. */
export interface WavFormat {
  sampleRate: number;
  channels: number;
}
const CD_STEREO: WavFormat = { sampleRate: SAMPLE_RATE, channels: CHANNELS };

/** One second's worth of a 440 Hz tone, repeated as the samples of every file. */
const BLOCK = (() => {
  const frames = SAMPLE_RATE;
  const block = Buffer.alloc(frames * BYTES_PER_FRAME);
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE));
    block.writeInt16LE(sample, i * BYTES_PER_FRAME);
    block.writeInt16LE(sample, i * BYTES_PER_FRAME + 2);
  }
  return block;
})();

/** The header of a WAV whose whole file (header included) is `totalBytes` long. */
export function wavHeader(totalBytes: number, format: WavFormat = CD_STEREO): Buffer {
  const { sampleRate, channels } = format;
  const bytesPerFrame = channels * 2;
  const dataBytes = totalBytes - WAV_HEADER_BYTES;
  if (dataBytes < 0 || dataBytes % bytesPerFrame !== 0) {
    throw new Error(`a WAV of ${totalBytes} bytes does not hold whole ${channels}-channel frames`);
  }
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(totalBytes - 8, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * bytesPerFrame, 28);
  header.writeUInt16LE(bytesPerFrame, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** The bytes of a `totalBytes`-long WAV, in chunks of at most 64 KiB. */
export function* wavChunks(totalBytes: number): Generator<Buffer> {
  yield wavHeader(totalBytes);
  const chunk = 64 * 1024;
  let left = totalBytes - WAV_HEADER_BYTES;
  let offset = 0;
  while (left > 0) {
    const length = Math.min(chunk, left, BLOCK.length - offset);
    yield BLOCK.subarray(offset, offset + length);
    left -= length;
    offset = (offset + length) % BLOCK.length;
  }
}

/**
 * Writes a `totalBytes`-long WAV of `format` to `path`: the header, then one random MiB over
 * and over (noise; nothing reads it but ffprobe, which reads the header and a few packets).
 */
export async function writeWavFile(
  path: string,
  totalBytes: number,
  format: WavFormat,
): Promise<void> {
  const block = randomBytes(1024 * 1024);
  async function* bytes() {
    yield wavHeader(totalBytes, format);
    for (let left = totalBytes - WAV_HEADER_BYTES; left > 0; left -= block.length) {
      yield left >= block.length ? block : block.subarray(0, left);
    }
  }
  await pipeline(bytes(), createWriteStream(path));
}

// Upload bodies: real 16-bit stereo PCM WAV files of an exact size, generated as a stream of
// slices of one precomputed block, so even a 100 MiB file never sits in memory.

const SAMPLE_RATE = 44_100;
const CHANNELS = 2;
const BYTES_PER_FRAME = CHANNELS * 2;
export const WAV_HEADER_BYTES = 44;

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
export function wavHeader(totalBytes: number): Buffer {
  const dataBytes = totalBytes - WAV_HEADER_BYTES;
  if (dataBytes < 0 || dataBytes % BYTES_PER_FRAME !== 0) {
    throw new Error(`a WAV of ${totalBytes} bytes does not hold whole stereo frames`);
  }
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(totalBytes - 8, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(CHANNELS, 22);
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * BYTES_PER_FRAME, 28);
  header.writeUInt16LE(BYTES_PER_FRAME, 32);
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

import { writeFile } from 'node:fs/promises';

/**
 * Writes a real, playable WAV file: a sine tone, 16-bit PCM mono, faded in and out so that it
 * does not click. Different frequencies or lengths give different files. `pulses` per second
 * make its loudness swell and fade, so its waveform has a shape to look at.
 */
export function toneWav({
  hz,
  seconds,
  sampleRate = 22_050,
  pulses = 0,
}: {
  hz: number;
  seconds: number;
  sampleRate?: number;
  pulses?: number;
}): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const dataBytes = samples * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  const fade = Math.round(sampleRate * 0.02);
  for (let i = 0; i < samples; i++) {
    const t = i / sampleRate;
    const swell = pulses > 0 ? 0.15 + 0.85 * Math.abs(Math.sin(Math.PI * pulses * t)) ** 2 : 1;
    const envelope = Math.min(1, i / fade, (samples - 1 - i) / fade) * swell;
    const value = Math.sin((2 * Math.PI * hz * i) / sampleRate) * envelope * 0.5;
    wav.writeInt16LE(Math.round(value * 32_767), 44 + i * 2);
  }
  return wav;
}

/** Writes `toneWav(tone)` to `path`: a file as a person would have it on disk. */
export async function writeTone(path: string, tone: Parameters<typeof toneWav>[0]): Promise<void> {
  await writeFile(path, toneWav(tone));
}

// Real audio files for the processing section, made by Debian's ffmpeg into the run's scratch
// folder (a 30-minute WAV is ~318 MB: written to disk, never held in memory), and uploaded from
// there as a stream with an exact Content-Length, as a browser sends a file.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { postFilePart, type Transfer } from './http.ts';

export type AudioFormat = 'wav' | 'mp3' | 'flac';

export interface AudioFile {
  path: string;
  /** What the upload names it (the extension matches the format). */
  filename: string;
  contentType: string;
  bytes: number;
  seconds: number;
}

const FORMATS: Record<AudioFormat, { contentType: string; codec: string[] }> = {
  wav: { contentType: 'audio/wav', codec: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  mp3: { contentType: 'audio/mpeg', codec: ['-c:a', 'libmp3lame', '-f', 'mp3'] },
  flac: { contentType: 'audio/flac', codec: ['-c:a', 'flac', '-sample_fmt', 's16', '-f', 'flac'] },
};

/**
 * `seconds` of 44.1 kHz 16-bit stereo audio in `format` (an MP3 at `kbps`): pink noise,
 * different in each channel. Silence or a pure tone would compress (FLAC) and encode (LAME) far
 * more cheaply than music; noise errs the other way, towards the heavier end.
 */
export async function makeAudioFile(options: {
  dir: string;
  name: string;
  format: AudioFormat;
  seconds: number;
  kbps?: number;
}): Promise<AudioFile> {
  const { format, seconds } = options;
  const filename = `${options.name}.${format}`;
  const path = join(options.dir, filename);
  const noise = (seed: number) =>
    `anoisesrc=duration=${seconds}:color=pink:sample_rate=44100:amplitude=0.3:seed=${seed}`;
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'],
    ...['-filter_complex', `${noise(1)}[l];${noise(2)}[r];[l][r]amerge=inputs=2[out]`],
    ...['-map', '[out]', '-ar', '44100', '-ac', '2'],
    ...FORMATS[format].codec,
    ...(options.kbps ? ['-b:a', `${options.kbps}k`] : []),
    path,
  ]);
  return {
    path,
    filename,
    contentType: FORMATS[format].contentType,
    bytes: (await stat(path)).size,
    seconds,
  };
}

/** Runs `command` to its end; rejects with the end of its stderr when it fails. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/** POSTs `file` from disk as the multipart part `file` (the API's `POST /sounds`). */
export function uploadFile(
  url: string,
  file: AudioFile,
  headers: Record<string, string> = {},
): Promise<Transfer> {
  return postFilePart(url, {
    field: 'file',
    filename: file.filename,
    contentType: file.contentType,
    bytes: file.bytes,
    content: createReadStream(file.path, { highWaterMark: 64 * 1024 }),
    headers,
  });
}

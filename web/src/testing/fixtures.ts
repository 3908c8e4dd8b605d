import type { Sound, SoundEvent, SoundList } from '../lib/api/client.ts';
import type { Limits } from '../lib/api/get-limits.ts';
import type { Me } from '../lib/api/get-me.ts';
import { DEFAULT_API_URL } from '../lib/api-url.ts';

/** The API the app talks to in tests (VITE_API_URL is unset there); MSW answers for it. */
export const API = DEFAULT_API_URL;

let counter = 0;

/** A sound as the API lists it; each call gets a fresh id and an earlier date. */
export function makeSound(overrides: Partial<Sound> = {}): Sound {
  counter += 1;
  const id = `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  return {
    id,
    title: `Sound ${counter}`,
    filename: `sound-${counter}.wav`,
    contentType: 'audio/wav',
    size: 48_044,
    durationMs: 3_000,
    userId: 1,
    createdAt: new Date(Date.UTC(2025, 0, 1) - counter * 60_000).toISOString(),
    audioUrl: `${API}/sounds/${id}/audio`,
    processing: 'pending',
    processingError: null,
    waveformUrl: null,
    streamUrl: null,
    loudness: null,
    ...overrides,
  };
}

let eventCounter = 0;

/** A `GET /events` event about `sound`, with the next event id; its state after the change. */
export function soundEvent(
  kind: Exclude<SoundEvent['kind'], 'reset'>,
  sound: Sound,
  processing: Sound['processing'] | null = kind === 'deleted' ? null : sound.processing,
): SoundEvent {
  eventCounter += 1;
  return { id: eventCounter, kind, soundId: sound.id, userId: sound.userId, processing };
}

export function soundList(items: Sound[], nextCursor: string | null = null): SoundList {
  return { items, nextCursor };
}

/** The JSON body of an API error. */
export function apiError(statusCode: number, code: string, message = code) {
  return { statusCode, error: 'Error', message, code };
}

/**
 * The text fields and file names of a multipart body. (Request.formData() cannot run here: its
 * parser rejects jsdom's File class.)
 */
export async function readMultipart(request: Request) {
  const body = await request.text();
  const fields: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const part of body.split(/--[^\r\n]+\r\n/)) {
    const header =
      /^Content-Disposition: form-data; name="([^"]*)"(?:; filename="([^"]*)")?/im.exec(part);
    if (!header?.[1]) continue;
    if (header[2] !== undefined) files[header[1]] = header[2];
    else fields[header[1]] = part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '');
  }
  return { fields, files };
}

/** `GET /limits` as the API answers it (tests change what they need). */
export function makeLimits(overrides: Partial<Limits> = {}): Limits {
  return {
    userId: { minimum: 1, maximum: 2_147_483_647 },
    title: { maxLength: 200 },
    page: { default: 20, maximum: 100 },
    upload: {
      maxBytes: 104_857_600,
      resumableMaxBytes: 4_294_967_296,
      maxDurationMs: 10_800_000,
      formats: [
        { name: 'MP3', types: ['audio/mpeg'], extensions: ['.mp3'] },
        { name: 'WAV', types: ['audio/wav', 'audio/x-wav'], extensions: ['.wav'] },
        { name: 'FLAC', types: ['audio/flac'], extensions: ['.flac'] },
      ],
    },
    quota: { storageBytes: 2_147_483_648, pendingSounds: 100 },
    ...overrides,
  };
}

/** `GET /me` for `id`: a little storage used, nothing waiting (tests change what they need). */
export function makeMe(
  id: number,
  overrides: {
    storage?: Partial<Me['storage']>;
    pendingSounds?: Partial<Me['pendingSounds']>;
  } = {},
): Me {
  return {
    id,
    storage: { usedBytes: 5_292_044, limitBytes: 2_147_483_648, ...overrides.storage },
    pendingSounds: { count: 0, limit: 100, ...overrides.pendingSounds },
  };
}

/** A waveform as the API serves it: `length` min/max pairs. */
export function makeWaveform(length = 100) {
  const data: number[] = [];
  for (let i = 0; i < length; i++) {
    const level = Math.round(100 * Math.abs(Math.sin(i / 7)));
    data.push(-level, level);
  }
  return {
    version: 2,
    channels: 1,
    sample_rate: 22_050,
    samples_per_pixel: 256,
    bits: 8,
    length,
    data,
  };
}

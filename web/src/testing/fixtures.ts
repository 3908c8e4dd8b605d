import type { Sound, SoundList } from '../lib/api/client.ts';
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
    ...overrides,
  };
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

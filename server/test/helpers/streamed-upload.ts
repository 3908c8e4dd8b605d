import { createHash, type Hash } from 'node:crypto';
import { wavHeader } from './audio.ts';

/**
 * Big uploads for tests that drive the API from outside: a WAV of any size, generated as the
 * connection takes it and hashed on the way, never held in memory whole.
 */

export interface StreamedUpload {
  /** The API's answer; rejects when the request itself fails (reset, abort). */
  response: Promise<Response>;
  /**
   * What `beforeChunk` threw, if anything (a failed check inside it). The response then
   * rejects with it too, but a test that expects the request to fail must look here.
   */
  hookError(): unknown;
  /** Bytes of the file handed to the connection so far. */
  sentBytes(): number;
  /** SHA-256 of the whole file (as it would be sent in full), hex. */
  fileSha256: string;
  fileBytes: number;
}

const ZEROS = new Uint8Array(1024 * 1024);

/**
 * POST /sounds with a generated WAV of `dataBytes` bytes of silence, sent as a streamed
 * multipart body in `chunkBytes` pieces: the body is produced as the connection takes it,
 * never held whole. `beforeChunk` runs (and is awaited) before each piece, with the file bytes
 * sent so far: tests slow the upload down or inject a fault at a chosen point with it.
 */
export function streamWavUpload(
  baseUrl: string,
  options: {
    userId: number;
    dataBytes: number;
    chunkBytes?: number;
    filename?: string;
    signal?: AbortSignal;
    beforeChunk?: (sentBytes: number) => void | Promise<void>;
  },
): StreamedUpload {
  const { dataBytes, chunkBytes = 64 * 1024, filename = 'big.wav' } = options;
  if (chunkBytes > ZEROS.length) throw new Error('chunkBytes is at most 1 MiB');
  const header = wavHeader(dataBytes);
  const fileBytes = header.length + dataBytes;
  const boundary = `----cloud-sound-test-${Math.random().toString(16).slice(2)}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      'Content-Type: audio/wav\r\n\r\n',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);

  let sent = 0;
  let finished = false;
  let hookError: unknown;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return;
      try {
        await options.beforeChunk?.(sent);
      } catch (error) {
        hookError = error;
        throw error;
      }
      if (sent === 0) {
        controller.enqueue(Buffer.concat([preamble, header]));
        sent = header.length;
        return;
      }
      const remaining = fileBytes - sent;
      if (remaining === 0) {
        controller.enqueue(epilogue);
        controller.close();
        finished = true;
        return;
      }
      const size = Math.min(chunkBytes, remaining);
      controller.enqueue(ZEROS.subarray(0, size));
      sent += size;
    },
  });

  const response = fetch(`${baseUrl}/sounds`, {
    method: 'POST',
    headers: {
      'x-user-id': String(options.userId),
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    body,
    duplex: 'half',
    signal: options.signal,
  } as RequestInit).then(
    (answer) => {
      if (hookError) throw hookError;
      return answer;
    },
    (error: unknown) => {
      throw hookError ?? error;
    },
  );
  // The caller may only look at the answer later; never leave the rejection unhandled.
  response.catch(() => {});

  return {
    response,
    hookError: () => hookError,
    sentBytes: () => sent,
    fileSha256: silentWavSha256(header, dataBytes),
    fileBytes,
  };
}

/** SHA-256 of a WAV header followed by `dataBytes` zero bytes. */
function silentWavSha256(header: Buffer, dataBytes: number): string {
  const hash = createHash('sha256').update(header);
  for (let left = dataBytes; left > 0; left -= ZEROS.length) {
    hash.update(ZEROS.subarray(0, Math.min(ZEROS.length, left)));
  }
  return hash.digest('hex');
}

/** Reads a response body to its end, hashing it without keeping it. */
export async function sha256OfBody(response: Response): Promise<{ sha256: string; bytes: number }> {
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  }
  return { sha256: hash.digest('hex'), bytes };
}

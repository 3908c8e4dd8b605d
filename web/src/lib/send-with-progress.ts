/** How much of a request body has gone out; `total` is null when the browser cannot tell. */
export interface UploadProgress {
  loaded: number;
  total: number | null;
}

export interface SendWithProgressOptions {
  url: string;
  method?: string;
  body: XMLHttpRequestBodyInit;
  headers?: Record<string, string>;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface SendWithProgressResponse {
  status: number;
  /** The parsed JSON reply, the text of any other reply, or null when it was empty. */
  body: unknown;
}

/**
 * Sends a request with XMLHttpRequest, because fetch cannot report how much of a request body
 * has been sent. Resolves with any HTTP reply (the caller judges the status); rejects with a
 * TypeError when no reply came (network down, CORS refused) and with an AbortError DOMException
 * when `signal` aborts.
 */
export function sendWithProgress({
  url,
  method = 'POST',
  body,
  headers = {},
  onProgress,
  signal,
}: SendWithProgressOptions): Promise<SendWithProgressResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbortSignal = () => xhr.abort();
    const settle = () => signal?.removeEventListener('abort', onAbortSignal);

    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.responseType = 'text';

    if (onProgress) {
      // Upload listeners only count when they are added before send().
      xhr.upload.addEventListener('progress', (event) => {
        onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : null });
      });
    }
    xhr.addEventListener('load', () => {
      settle();
      resolve({ status: xhr.status, body: parseBody(xhr) });
    });
    xhr.addEventListener('error', () => {
      settle();
      reject(new TypeError(`Network error: ${method} ${url} got no reply`));
    });
    xhr.addEventListener('timeout', () => {
      settle();
      reject(new TypeError(`Network error: ${method} ${url} timed out`));
    });
    xhr.addEventListener('abort', () => {
      settle();
      reject(abortError());
    });
    signal?.addEventListener('abort', onAbortSignal, { once: true });
    xhr.send(body);
  });
}

function parseBody(xhr: XMLHttpRequest): unknown {
  const text = xhr.responseText;
  if (!text) return null;
  if (xhr.getResponseHeader('Content-Type')?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function abortError(): DOMException {
  return new DOMException('The upload was cancelled', 'AbortError');
}

/** Uploads through the API the way a browser form does. */
export async function uploadSound(
  baseUrl: string,
  options: {
    userId?: number | string;
    bytes: Uint8Array;
    filename?: string;
    title?: string;
    extraParts?: Array<[string, string | Blob]>;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  },
): Promise<Response> {
  const form = new FormData();
  if (options.title !== undefined) form.append('title', options.title);
  form.append('file', new Blob([options.bytes]), options.filename ?? 'sound.wav');
  for (const [name, value] of options.extraParts ?? []) form.append(name, value);
  return fetch(`${baseUrl}/sounds`, {
    method: 'POST',
    headers: {
      ...(options.userId === undefined ? {} : { 'x-user-id': String(options.userId) }),
      ...options.headers,
    },
    body: form,
    signal: options.signal,
  });
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Where the Cloud Sound API listens when nothing else is configured (`pnpm --filter @cloud-sound/server start`). */
export const DEFAULT_API_URL = 'http://localhost:8080';

/**
 * The API's base URL, without a trailing slash. Vite inlines `VITE_API_URL` at build time,
 * so the Docker image is built with `--build-arg VITE_API_URL=…`.
 */
export function apiBaseUrl(env: { VITE_API_URL?: string | undefined } = import.meta.env): string {
  const configured = env.VITE_API_URL?.trim();
  return (configured ? configured : DEFAULT_API_URL).replace(/\/+$/, '');
}

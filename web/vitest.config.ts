import react from '@vitejs/plugin-react';
import { defineProject } from 'vitest/config';
import { tusBrowserBuild } from './vite.config.ts';

export default defineProject({
  plugins: [react()],
  resolve: { alias: [tusBrowserBuild] },
  test: {
    name: 'web',
    // Components render in jsdom; files that need plain Node say `@vitest-environment node`.
    environment: 'jsdom',
    // The page shares the API's origin (VITE_API_URL is unset in tests): jsdom's XMLHttpRequest
    // then sends no CORS preflight to the mock server. CORS itself is the API's own tests' job.
    environmentOptions: { jsdom: { url: 'http://localhost:8080/' } },
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/testing/setup.ts'],
    // Transformed by Vite, so that the alias above reaches it (and its ES modules load).
    server: { deps: { inline: ['tus-js-client'] } },
  },
});

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm start` serves the built app (vite preview) on PORT; `VITE_API_URL` is read at build time.
const port = Number(process.env.PORT ?? 5173);

/**
 * tus-js-client's untranspiled browser build: the one its package names for bundlers is Babel's
 * ES5 output with the regenerator runtime, half as big again, and Vitest would otherwise load
 * its Node build. The tests use the same alias, so they run the code the bundle ships.
 */
export const tusBrowserBuild = {
  find: /^tus-js-client$/,
  replacement: 'tus-js-client/lib/browser/index.js',
};

export default defineConfig({
  plugins: [react()],
  resolve: { alias: [tusBrowserBuild] },
  server: { port: 5173 },
  preview: { port, host: 'localhost', strictPort: true },
});

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm start` serves the built app (vite preview) on PORT; `VITE_API_URL` is read at build time.
const port = Number(process.env.PORT ?? 5173);

export default defineConfig({
  plugins: [react()],
  server: { port: 5173 },
  preview: { port, host: 'localhost', strictPort: true },
});

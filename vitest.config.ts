import { defineConfig } from 'vitest/config';

// `pnpm test` at the root runs every package's suite; each package keeps its own config.
export default defineConfig({
  test: {
    projects: ['backends/*', 'server', 'web', 'system', 'test', 'bench'],
  },
});

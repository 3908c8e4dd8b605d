import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'file-store', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});

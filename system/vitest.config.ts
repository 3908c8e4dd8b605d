import { defineConfig } from 'vitest/config';

// The system running as programs: `pnpm start` itself, and the tests that kill, signal and
// measure the programs as processes of their own.
export default defineConfig({
  test: {
    name: 'system',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

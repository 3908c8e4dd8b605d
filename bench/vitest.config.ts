import { defineConfig } from 'vitest/config';

// The smoke run of the benchmarks (tiny sizes): every section works and prints its table.
export default defineConfig({
  test: { name: 'bench', include: ['**/*.test.ts'], testTimeout: 240_000 },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'web',
    // Only plain functions are tested so far; the SPA's component tests will switch to jsdom.
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'user-api', include: ['test/**/*.test.ts'] } });

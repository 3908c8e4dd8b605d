import { defineConfig } from 'vitest/config';

// Repository-level checks (compose file, Dockerfiles) that belong to no single package.
export default defineConfig({ test: { name: 'repo', include: ['**/*.test.ts'] } });

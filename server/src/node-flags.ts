/**
 * The `node` flags the API runs with, wherever it is started: `pnpm start`, its Dockerfile's CMD
 * and the tests that spawn it (test/node-flags.test.ts checks that they agree).
 *
 * A 2 MiB semi-space keeps V8's young generation small. Every upload and playback chunk
 * passes through it, and with Node's default (up to 16 MiB, tripled) the API spent 2.7–3.2 ms
 * of CPU per MB moved and idled 60–80 MiB larger; with 2 MiB it spends 1.0–1.1 ms per MB and
 * Range requests went from 47–49 % to 73–77 % of file_store's speed (bench/README.md, "Memory").
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=2'] as const;

/**
 * The `node` flags the API runs with, wherever it is started: `pnpm start`, its Dockerfile's CMD
 * and the tests that spawn it (test/node-flags.test.ts checks that they agree).
 *
 * A 2 MiB semi-space keeps V8's young generation small. Every upload and playback chunk
 * passes through it, and with Node's default the API spent about three times the CPU per MB
 * moved and idled larger (the measurements: bench/README.md, "Memory").
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=2'] as const;

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Preloaded into an API child process by the tests that measure its memory (see load.ts,
 * `GC_PROBE_NODE_OPTIONS`): on SIGWINCH it runs a full garbage collection and logs the live
 * heap and the RSS as one JSON line. The test then compares live memory, not whatever V8 has
 * not yet bothered to collect. SIGWINCH, because close-with-grace takes SIGUSR2 as a shutdown
 * signal and nothing else in the API listens to SIGWINCH (whose default is to do nothing).
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

process.on('SIGWINCH', () => {
  collectGarbage();
  const { heapUsed, heapTotal, rss } = process.memoryUsage();
  process.stderr.write(
    `${JSON.stringify({ level: 30, msg: 'gc probe', heapUsed, heapTotal, rss })}\n`,
  );
});

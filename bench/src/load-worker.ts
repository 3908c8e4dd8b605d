// Runs one autocannon load in a process of its own, so the load generator never shares an
// event loop with the uploads the benchmark sends at the same time. The parent passes the
// options as JSON in argv[2], may send 'stop' to end early, and gets a LoadResult back.
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load.ts';

const options = JSON.parse(process.argv[2] as string) as LoadOptions;

const instance = autocannon(
  {
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
  },
  (error, result) => {
    if (error) {
      process.send?.({ error: String(error) });
    } else {
      const answer: LoadResult = {
        requests: result.requests.total,
        seconds: result.duration,
        requestsPerSecond: result.requests.total / result.duration,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
      };
      process.send?.({ result: answer });
    }
    process.off('disconnect', exitNow);
    process.disconnect?.();
  },
);
process.on('message', (message) => {
  if (message === 'stop') instance.stop();
});
// The benchmark went away (Ctrl-C, crash): no load for nobody.
function exitNow() {
  process.exit(0);
}
process.on('disconnect', exitNow);

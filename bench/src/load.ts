// HTTP load with autocannon (in a child process, see load-worker.ts): fixed-length runs for the
// listing table, and runs stopped by hand for "while the uploads run".
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadOptions {
  url: string;
  connections: number;
  /** Upper bound; `stop()` may end it earlier. */
  seconds: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
}

export interface RunningLoad {
  stop(): void;
  result: Promise<LoadResult>;
}

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export function startLoad(options: LoadOptions): RunningLoad {
  const child = fork(WORKER, [JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (message: { result?: LoadResult; error?: string }) => {
      if (message.result) resolve(message.result);
      else reject(new Error(`autocannon: ${message.error}`));
    });
    child.once('exit', (code) => reject(new Error(`autocannon exited (${code}) with no result`)));
  });
  return {
    stop: () => {
      if (child.connected) child.send('stop');
    },
    result,
  };
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).result;
}

// Debian's nginx as the playback baseline: the same bytes served from disk by a server built
// for it, run by the launcher's startNginx on a free loopback port with a one-server config.
import { join } from 'node:path';
import { findNginx, freePorts, installNginx, startNginx } from '@cloud-sound/system';
import { registerCleanup } from './cleanup.ts';

export type Nginx =
  | { url: string; version: string; stop(): Promise<void> }
  | { unavailable: string };

export async function startStaticNginx(options: {
  root: string;
  workDir: string;
  install: boolean;
  /** A path under `root` that answers 200 once nginx serves. */
  probePath: string;
}): Promise<Nginx> {
  const installed =
    findNginx() ??
    (options.install
      ? installNginx((line) => process.stderr.write(`bench: ${line}\n`))
      : undefined);
  if (!installed) {
    return {
      unavailable: options.install
        ? 'nginx is not installed and `apt-get install nginx` failed'
        : 'nginx is not installed (smoke runs do not install it)',
    };
  }
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  try {
    const nginx = await startNginx({
      dir: join(options.workDir, 'nginx'),
      http: `sendfile on;
tcp_nopush on;
server {
  listen 127.0.0.1:${port};
  root ${options.root};
}`,
      probeUrl: `${url}${options.probePath}`,
    });
    const forget = registerCleanup(async () => {
      await nginx.stop();
    });
    return {
      url,
      version: nginx.version,
      async stop() {
        forget();
        await nginx.stop();
      },
    };
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
}

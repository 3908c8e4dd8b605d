// Debian's nginx as the playback baseline: the same bytes served from disk by a server built
// for it. We run it ourselves, on a free loopback port, with a tiny config in a temp folder.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts, killGroupOnExit } from '@cloud-sound/system';
import { registerCleanup } from './cleanup.ts';

export type Nginx =
  | { url: string; version: string; stop(): Promise<void> }
  | { unavailable: string };

export async function startNginx(options: {
  root: string;
  workDir: string;
  install: boolean;
  /** A path under `root` that answers 200 once nginx serves. */
  probePath: string;
}): Promise<Nginx> {
  let binary = findNginx();
  if (!binary && options.install) binary = installNginx();
  if (!binary) {
    return {
      unavailable: options.install
        ? 'nginx is not installed and `apt-get install nginx` failed'
        : 'nginx is not installed (smoke runs do not install it)',
    };
  }
  const version = spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr.trim();
  const dir = join(options.workDir, 'nginx');
  await mkdir(dir, { recursive: true });
  const [port] = await freePorts(1);
  const asRoot = process.getuid?.() === 0;
  await writeFile(
    join(dir, 'nginx.conf'),
    `${asRoot ? 'user root;\n' : ''}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { audio/wav wav; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${options.root};
  }
}
`,
  );
  const child: ChildProcess = spawn(
    binary,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const untrack = killGroupOnExit(child.pid);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      untrack();
      done();
    }),
  );
  const stop = async () => {
    forget();
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  };
  const forget = registerCleanup(stop);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) return { unavailable: `nginx exited: ${stderr.trim()}` };
    const ok = await fetch(`${url}${options.probePath}`, { method: 'HEAD' })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return { url, version, stop };
    await sleep(50);
  }
  await stop();
  return { unavailable: `nginx did not serve ${options.probePath}: ${stderr.trim()}` };
}

function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/bin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

function installNginx(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  process.stderr.write('bench: installing Debian nginx with apt-get\n');
  if (!apt(['install', '-y', '-q', 'nginx'])) {
    apt(['update', '-q']);
    apt(['install', '-y', '-q', 'nginx']);
  }
  return findNginx();
}

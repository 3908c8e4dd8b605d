// Debian's nginx, run by the launcher like any of its programs: in a process group of its own
// under the orphan guard (exec-child.ts), with its configuration, pid and temporary files in a
// folder of the caller's, its error log captured line by line. The API gateway of
// `API_REPLICAS`, the benchmark's static baseline and the end-to-end tests' web server use it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitHealthy } from './health.ts';
import { CapturedOutput } from './output.ts';
import { type GroupProcess, type ProgramExit, spawnNodeGroup } from './process-group.ts';

const EXEC_CHILD = fileURLToPath(new URL('./exec-child.ts', import.meta.url));

export interface NginxOptions {
  /** Its folder: configuration, pid and temporary files (created if missing). */
  dir: string;
  /** What goes inside `http { }`: upstreams, servers, includes. */
  http: string;
  /** A URL that answers 2xx once nginx serves (its start is waited for until then). */
  probeUrl: string;
  /** `worker_processes` (default 1: one core's worth, next to the programs it serves). */
  workerProcesses?: number | 'auto';
  timeoutMs?: number;
  /** Sees each line nginx writes (its error log), as it comes; all are kept either way. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RunningNginx {
  pid: number;
  /** `nginx version: nginx/1.22.1` */
  version: string;
  exited: Promise<ProgramExit>;
  /** Everything it wrote so far. */
  output(): string;
  /** SIGTERM (nginx's fast shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<ProgramExit>;
}

/** The nginx binary of this machine, or undefined. */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/bin/nginx']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

/** Installs Debian's nginx with apt-get (as root only); the binary, or undefined. */
export function installNginx(log: (line: string) => void): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  log("installing Debian's nginx with apt-get");
  if (!apt(['install', '-y', '-q', 'nginx'])) {
    apt(['update', '-q']);
    apt(['install', '-y', '-q', 'nginx']);
  }
  return findNginx();
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const binary = findNginx();
  if (!binary) throw new Error('nginx is not installed (Debian: apt-get install nginx)');
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'nginx.conf');
  await writeFile(config, mainConfig(dir, options));
  const version = spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr.trim();

  const group: GroupProcess = spawnNodeGroup({
    args: [EXEC_CHILD, binary, '-p', dir, '-c', config, '-e', 'stderr'],
    cwd: dir,
    env: process.env as Record<string, string>,
  });
  const output = new CapturedOutput([group.process.stdout, group.process.stderr], (line) =>
    options.onLine?.(line),
  );
  try {
    await waitHealthy(options.probeUrl, {
      timeoutMs: options.timeoutMs ?? 10_000,
      gaveUp: () => {
        if (options.signal?.aborted) return 'start-up interrupted';
        if (group.hasExited()) return 'nginx exited before it served';
        return undefined;
      },
    });
  } catch (error) {
    await group.stop(1000);
    throw new Error(`${(error as Error).message}; its output ends with:\n${output.tail()}`);
  }
  return {
    pid: group.pid,
    version,
    exited: group.exited,
    output: () => output.text(),
    stop: (graceMs = 2000) => group.stop(graceMs),
  };
}

/** The main context: everything but `http { }` is about running it from `dir`, in the foreground. */
function mainConfig(dir: string, options: NginxOptions): string {
  return `# Written by @cloud-sound/system (nginx.ts); rewritten at every start.
${
  // As root, nginx runs its workers as nobody, who could not read this folder.
  process.getuid?.() === 0 ? 'user root;\n' : ''
}daemon off;
worker_processes ${options.workerProcesses ?? 1};
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
${options.http.replace(/^/gm, '  ')}
}
`;
}

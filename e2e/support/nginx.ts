// The web app as production serves it: Debian's nginx running web/nginx/templates (filled in as
// the nginx image fills them at start) in front of a fresh `vite build` made for the running
// API. The Lighthouse audit and the CSP checks run against it; test/nginx.test.ts does the same
// for the configuration alone.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WEB = join(REPO, 'web');
const TEMPLATES = join(WEB, 'nginx/templates');
export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((path) => existsSync(path));

export interface RunningNginx {
  url: string;
  stop: () => Promise<void>;
}

/** Builds the web app for `apiUrl` and serves it with the web app's nginx config on `port`. */
export async function startWebNginx({
  apiUrl,
  port,
}: {
  apiUrl: string;
  port: number;
}): Promise<RunningNginx> {
  if (!NGINX) throw new Error("Debian's nginx is needed: apt-get install nginx");
  const dir = await mkdtemp(join(tmpdir(), 'cloud-sound-e2e-nginx-'));
  const dist = join(dir, 'html');
  await promisify(execFile)(
    process.execPath,
    [
      join(WEB, 'node_modules/vite/bin/vite.js'),
      'build',
      '--outDir',
      dist,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: WEB, env: { ...process.env, VITE_API_URL: apiUrl, NODE_ENV: 'production' } },
  );

  const apiOrigin = new URL(apiUrl).origin;
  for (const relative of await readdir(TEMPLATES, { recursive: true })) {
    if (!relative.endsWith('.template')) continue;
    const text = (await readFile(join(TEMPLATES, relative), 'utf8')).replace(
      /\$\{API_ORIGIN\}|\$API_ORIGIN\b/g,
      apiOrigin,
    );
    const output = join(dir, 'conf.d', relative.slice(0, -'.template'.length));
    await mkdir(dirname(output), { recursive: true });
    await writeFile(output, text);
  }
  const serverConf = join(dir, 'conf.d/default.conf');
  const server = (await readFile(serverConf, 'utf8'))
    .replace('listen 8080;', `listen 127.0.0.1:${port};`)
    .replace('listen [::]:8080;', '')
    .replace('root /usr/share/nginx/html;', `root ${dist};`);
  await writeFile(serverConf, server);
  await writeFile(
    join(dir, 'nginx.conf'),
    // As root, nginx would run its workers as nobody, who cannot read this private folder.
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include conf.d/*.conf;
}
`,
  );

  let output = '';
  const nginx: ChildProcess = spawn(
    NGINX,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  for (const stream of [nginx.stdout, nginx.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  }
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (nginx.exitCode === null) {
      const exited = new Promise((done) => nginx.once('exit', done));
      nginx.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (
    !(await fetch(`${url}/health`).then(
      (reply) => reply.ok,
      () => false,
    ))
  ) {
    if (nginx.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start with the web app's config:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return { url, stop };
}

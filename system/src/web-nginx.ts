// The web app as its image serves it, without Docker: a production build made for `apiUrl`,
// behind Debian's nginx running web/nginx/templates filled in as the nginx image fills them at
// start. The end-to-end tests (Lighthouse) and test/nginx.test.ts (the security headers) use it.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startNginx } from './nginx.ts';
import { packageDir } from './paths.ts';
import { ensureWebBuild } from './web-build.ts';

export interface RunningWebNginx {
  url: string;
  /** `nginx version: nginx/1.22.1` */
  version: string;
  stop(): Promise<void>;
}

/**
 * Builds the web app into `dir` for `apiUrl` (API_ORIGIN is its origin, as compose sets both)
 * and serves it on 127.0.0.1:`port`; `dir` holds the build, the configuration and nginx's files.
 */
export async function startWebNginx(options: {
  apiUrl: string;
  port: number;
  dir: string;
  log?: (line: string) => void;
}): Promise<RunningWebNginx> {
  const webDir = packageDir('@cloud-sound/web');
  const html = join(options.dir, 'html');
  await ensureWebBuild({
    webDir,
    outDir: html,
    apiUrl: options.apiUrl,
    log: options.log ?? (() => {}),
  });

  // The image's layout: nginx.conf includes conf.d/*.conf inside `http`.
  const confDir = join(options.dir, 'conf.d');
  await renderTemplates(join(webDir, 'nginx/templates'), confDir, {
    API_ORIGIN: new URL(options.apiUrl).origin,
  });
  const serverConf = join(confDir, 'default.conf');
  let server = await readFile(serverConf, 'utf8');
  server = replaceExactly(server, 'listen 8080;', `listen 127.0.0.1:${options.port};`);
  server = replaceExactly(server, 'listen [::]:8080;', '');
  server = replaceExactly(server, 'root /usr/share/nginx/html;', `root ${html};`);
  await writeFile(serverConf, server);

  const url = `http://127.0.0.1:${options.port}`;
  const nginx = await startNginx({
    dir: options.dir,
    http: 'include conf.d/*.conf;',
    probeUrl: `${url}/health`,
    onLine: options.log,
  });
  return {
    url,
    version: nginx.version,
    async stop() {
      await nginx.stop();
    },
  };
}

/** Every .template under `templates`, with `${NAME}` and `$NAME` filled in as envsubst does. */
async function renderTemplates(
  templates: string,
  outputDir: string,
  values: Record<string, string>,
): Promise<void> {
  for (const relative of await readdir(templates, { recursive: true })) {
    if (!relative.endsWith('.template')) continue;
    let text = await readFile(join(templates, relative), 'utf8');
    for (const [name, value] of Object.entries(values)) {
      text = text.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), value);
    }
    const output = join(outputDir, relative.slice(0, -'.template'.length));
    await mkdir(dirname(output), { recursive: true });
    await writeFile(output, text);
  }
}

/** Replaces `pattern`, failing when the template no longer has it: this must follow the config. */
function replaceExactly(text: string, pattern: string, replacement: string): string {
  if (!text.includes(pattern)) {
    throw new Error(`web/nginx/templates/default.conf.template no longer has "${pattern}"`);
  }
  return text.replace(pattern, replacement);
}

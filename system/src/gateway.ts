// The API gateway of `API_REPLICAS=N`: Debian's nginx on the API's port, spreading requests over
// the N API processes. It proxies with the same settings as compose's gateway image (one
// gateway/nginx/proxy.conf and errors.conf, included by both); only how it finds the replicas
// differs: here a fixed list of loopback ports, there the container network's DNS.
import { join } from 'node:path';
import { type RunningNginx, startNginx } from './nginx.ts';
import { REPO_DIR } from './paths.ts';
import type { ProgramExit } from './process-group.ts';

const GATEWAY_CONFIG = join(REPO_DIR, 'gateway/nginx');

/**
 * The address the gateway's connections to the replicas come from (`proxy_bind`): a loopback
 * address of its own, so that the replicas can believe X-Forwarded-For from the gateway alone
 * (`TRUST_PROXY`) and not from every program on this machine, which all reach them from
 * 127.0.0.1. Linux routes the whole of 127.0.0.0/8 to the loopback interface.
 */
export const GATEWAY_UPSTREAM_ADDRESS = '127.0.0.2';

export interface GatewayOptions {
  /** Where it listens: the API's address. */
  host: string;
  port: number;
  publicUrl: string;
  /** The replicas' base URLs, `http://127.0.0.1:<port>`. */
  replicas: string[];
  /** file_store's base URL: the gateway fetches the files the API hands to it from there. */
  fileStoreUrl: string;
  /** Its folder (configuration and temporary files). */
  dir: string;
  timeoutMs: number;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export class Gateway {
  readonly name = 'gateway';
  readonly label = 'the API gateway';
  readonly url: string;
  readonly publicUrl: string;
  readonly version: string;
  private readonly nginx: RunningNginx;

  private constructor(url: string, publicUrl: string, nginx: RunningNginx) {
    this.url = url;
    this.publicUrl = publicUrl;
    this.nginx = nginx;
    this.version = nginx.version;
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const url = `http://${options.host}:${options.port}`;
    const nginx = await startNginx({
      dir: options.dir,
      http: gatewayConfig(options),
      probeUrl: `${url}/health`,
      timeoutMs: options.timeoutMs,
      onLine: options.onLine,
      signal: options.signal,
    });
    return new Gateway(url, options.publicUrl, nginx);
  }

  get pid(): number {
    return this.nginx.pid;
  }

  get exited(): Promise<ProgramExit> {
    return this.nginx.exited;
  }

  output(): string {
    return this.nginx.output();
  }

  stop(graceMs?: number): Promise<ProgramExit> {
    return this.nginx.stop(graceMs);
  }
}

/**
 * The `http { }` contents: the replicas as one upstream, reached from GATEWAY_UPSTREAM_ADDRESS,
 * file_store for the transfers the API hands over, and the shared proxy settings, file
 * transfers and error pages.
 */
export function gatewayConfig(
  options: Pick<GatewayOptions, 'host' | 'port' | 'replicas' | 'fileStoreUrl'>,
): string {
  const servers = options.replicas.map((replica) => {
    const { host } = new URL(replica);
    // One failed connection takes a replica out for a second: a killed one is skipped at once.
    return `  server ${host} max_fails=1 fail_timeout=1s;`;
  });
  return `server_tokens off;
upstream api_replicas {
  # The replica with the fewest requests running: a long upload or stream weighs on one only.
  least_conn;
${servers.join('\n')}
  keepalive 64;
  # Shorter than the API's own keep-alive (10 s), so nginx never sends a request on a connection
  # the replica is closing at that moment (a 502 when there is no other replica to try).
  keepalive_timeout 5s;
}
upstream file_store {
  server ${new URL(options.fileStoreUrl).host};
  # Kept-alive connections: a seek is one more small request, not one more TCP handshake.
  keepalive 32;
  keepalive_timeout 5s;
}
server {
  listen ${options.host}:${options.port};
  proxy_bind ${GATEWAY_UPSTREAM_ADDRESS};
  set $file_store http://file_store;
  # The upstream above, for the locations shared with compose's gateway (events.conf).
  set $api_replicas http://api_replicas;
  location / {
    proxy_pass http://api_replicas;
    set $sendfile_type X-Accel-Redirect;
    include ${join(GATEWAY_CONFIG, 'proxy.conf')};
  }
  # A file the gateway could not send (files.conf): the API sends it, or its error, itself.
  location @api_sends_file {
    proxy_pass http://api_replicas$request_uri;
    set $sendfile_type "";
    include ${join(GATEWAY_CONFIG, 'proxy.conf')};
  }
  include ${join(GATEWAY_CONFIG, 'events.conf')};
  include ${join(GATEWAY_CONFIG, 'files.conf')};
  include ${join(GATEWAY_CONFIG, 'errors.conf')};
}`;
}

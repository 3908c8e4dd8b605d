// The compose file is checked against the programs it starts: each Node service's
// `environment` goes through that program's own settings parser, so a misspelt variable, a
// bad value or a URL that points at the wrong service or port fails here instead of at
// `docker compose up`.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig as loadFileStoreConfig } from '@cloud-sound/file-store/settings';
import { loadConfig as loadServerConfig } from '@cloud-sound/server/settings';
import { loadConfig as loadUserApiConfig } from '@cloud-sound/user-api/settings';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkDockerfiles, composeBuilds } from '../scripts/check-dockerfiles.ts';

interface Service {
  image?: string;
  profiles?: string[];
  command?: string[];
  build?: { context?: string; dockerfile?: string; args?: Record<string, unknown> };
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | number>;
  expose?: Array<string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
}

const root = resolve(import.meta.dirname, '..');
const composePath = resolve(root, 'docker-compose.yml');
const compose = parse(readFileSync(composePath, 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: Array<{ subnet?: string; ip_range?: string }> } }>;
};
const services = compose.services;

/** Each Node program in compose that serves HTTP, and the settings parser it runs at start-up. */
const nodeServices: Record<string, (env: Record<string, string>) => object> = {
  user_api: loadUserApiConfig,
  file_store: loadFileStoreConfig,
  api: loadServerConfig,
};
/** The processing worker reads the API's settings, and serves no HTTP. */
const parsers: Record<string, (env: Record<string, string>) => object> = {
  ...nodeServices,
  worker: loadServerConfig,
};

/** Postgres and Valkey listen on their standard ports; the Node services on their PORT setting. */
const POSTGRES_PORT = 5432;
const VALKEY_PORT = 6379;

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** A service's `environment` as strings, whichever of compose's two forms it uses. */
function environmentOf(name: string): Record<string, string> {
  const environment = service(name).environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, value == null ? '' : String(value)]),
  );
}

/**
 * Runs `loadConfig` on the compose environment alone: the parsers also read process.env, so
 * the test's own environment (PORT, DATABASE_URL…) must not fill in or hide anything.
 */
function parseSettings(name: string): Record<string, unknown> {
  const loadConfig = parsers[name];
  if (!loadConfig) throw new Error(`no settings parser for "${name}"`);
  const saved = process.env;
  process.env = {};
  try {
    return loadConfig(environmentOf(name)) as Record<string, unknown>;
  } finally {
    process.env = saved;
  }
}

/** The port a service listens on inside the compose network. */
function listeningPort(name: string): number {
  if (name === 'db') return POSTGRES_PORT;
  if (name === 'valkey') return VALKEY_PORT;
  if (name === 'web') return Number(/listen\s+(\d+)/.exec(readWebNginxConf())?.[1]);
  if (name === 'gateway') return Number(/listen\s+(\d+)/.exec(readGatewayConf())?.[1]);
  return Number(parseSettings(name).PORT);
}

function readWebNginxConf(): string {
  return readFileSync(resolve(root, 'web/nginx/templates/default.conf.template'), 'utf8');
}

function readGatewayConf(): string {
  return readFileSync(resolve(root, 'gateway/nginx/templates/default.conf.template'), 'utf8');
}

/** Published ports as {host, container}, from compose's short syntax ("8081:3000"). */
function publishedPorts(name: string): Array<{ host: number; container: number }> {
  return publishedBindings(name).map(({ host, container }) => ({ host, container }));
}

/** Published ports with the host address they are bound to (`*`: every interface). */
function publishedBindings(
  name: string,
): Array<{ address: string; host: number; container: number }> {
  return (service(name).ports ?? []).map((entry) => {
    const parts = String(entry)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = Number(parts.at(-1));
    const host = parts.length > 1 ? Number(parts.at(-2)) : Number.NaN;
    return { address: parts.length > 2 ? parts.slice(0, -2).join(':') : '*', host, container };
  });
}

/** An IPv4 address as a number, and whether it lies in a CIDR range. */
function ipv4Number(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}
function inRange(address: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = ipv4Number(base) - (ipv4Number(base) % size);
  return ipv4Number(address) >= start && ipv4Number(address) < start + size;
}

describe('docker-compose.yml', () => {
  it('defines the services of the system, and a worker in a profile of its own', () => {
    const always = Object.entries(services).filter(([, definition]) => !definition.profiles);
    expect(always.map(([name]) => name).sort()).toEqual([
      'api',
      'db',
      'file_store',
      'gateway',
      'user_api',
      'valkey',
      'web',
    ]);
    expect(service('worker').profiles).toEqual(['worker']);
  });

  describe('worker', () => {
    it("has an environment the API's settings parser accepts, naming only what it knows", () => {
      const known = Object.keys(parseSettings('worker'));
      const unknown = Object.keys(environmentOf('worker')).filter((key) => !known.includes(key));
      expect(unknown).toEqual([]);
    });

    it('runs the worker entry of the API image, on the API’s database and file store', () => {
      expect(service('worker').build).toEqual(service('api').build);
      expect(service('worker').command).toEqual(['node', 'src/worker.ts']);
      const worker = parseSettings('worker');
      const api = parseSettings('api');
      expect(worker.DATABASE_URL).toBe(api.DATABASE_URL);
      expect(worker.FILE_STORE_URL).toBe(api.FILE_STORE_URL);
      expect(Number(worker.PROCESSING_CONCURRENCY)).toBeGreaterThan(0);
    });
  });

  describe.each(Object.keys(nodeServices))('%s environment', (name) => {
    it("is accepted by the program's own settings parser", () => {
      expect(() => parseSettings(name)).not.toThrow();
    });

    it('names only settings the program knows', () => {
      // The parsers drop unknown variables, so a misspelt name is one missing from the result.
      const known = Object.keys(parseSettings(name));
      const unknown = Object.keys(environmentOf(name)).filter((key) => !known.includes(key));
      expect(unknown, `${name} does not read these variables`).toEqual([]);
    });

    it('listens on all interfaces, or no other container could reach it', () => {
      expect(parseSettings(name).HOST).toBe('0.0.0.0');
    });

    it('checks its health on the port it listens on', () => {
      const test = service(name).healthcheck?.test;
      const command = Array.isArray(test) ? test.join(' ') : String(test);
      const port = /127\.0\.0\.1:(\d+)\/health/.exec(command)?.[1];
      expect(Number(port)).toBe(listeningPort(name));
    });
  });

  it('gives every URL setting that names a service that service and its listening port', () => {
    const serviceNames = new Set(Object.keys(services));
    const checked: string[] = [];
    for (const name of Object.keys(nodeServices)) {
      for (const [key, value] of Object.entries(environmentOf(name))) {
        if (!/_URLS?$/.test(key)) continue;
        expect(URL.canParse(value), `${name} ${key}=${value} is not a URL`).toBe(true);
        const url = new URL(value);
        if (!serviceNames.has(url.hostname)) continue;
        const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
        expect(port, `${name} ${key}=${value}`).toBe(listeningPort(url.hostname));
        checked.push(key);
      }
    }
    expect(checked.sort()).toEqual(['DATABASE_URL', 'FILE_STORE_URL', 'REDIS_URL', 'USER_API_URL']);
  });

  it('points the API at its backends and database', () => {
    const api = parseSettings('api');
    expect(new URL(String(api.USER_API_URL)).host).toBe('user_api:8080');
    expect(new URL(String(api.FILE_STORE_URL)).host).toBe('file_store:3000');

    const database = new URL(String(api.DATABASE_URL));
    const db = environmentOf('db');
    expect(database.hostname).toBe('db');
    expect(decodeURIComponent(database.username)).toBe(db.POSTGRES_USER);
    expect(decodeURIComponent(database.password)).toBe(db.POSTGRES_PASSWORD);
    expect(database.pathname).toBe(`/${db.POSTGRES_DB}`);
  });

  it('counts the API replicas’ limits in the one valkey, unpublished and kept off disk', () => {
    const redis = new URL(String(parseSettings('api').REDIS_URL));
    expect(redis.protocol).toBe('redis:');
    expect(redis.hostname).toBe('valkey');
    expect(service('valkey').image).toMatch(/^valkey\/valkey:\d+/);
    expect(service('valkey').healthcheck?.test).toEqual(['CMD', 'valkey-cli', 'ping']);
    // Short-lived counts: no snapshot or append-only file, so no volume either.
    expect(service('valkey').command).toEqual([
      'valkey-server',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    expect(service('valkey').volumes).toBeUndefined();
    // The worker takes no requests, so it counts nothing.
    expect(environmentOf('worker').REDIS_URL).toBeUndefined();
  });

  it('hands out audio URLs and allows the origin that browsers actually use', () => {
    const api = parseSettings('api');
    const publicUrl = new URL(String(api.PUBLIC_URL));
    expect(publicUrl.origin).toBe('http://localhost:8080');
    // Browsers reach the API through the gateway.
    expect(publishedPorts('gateway')).toContainEqual({
      host: Number(publicUrl.port),
      container: listeningPort('gateway'),
    });
    // The SPA is served on http://localhost (port 80), so its requests carry that origin.
    expect(api.CORS_ORIGINS).toContain('http://localhost');
  });

  it('lets the API accept every upload the file store accepts', () => {
    expect(Number(parseSettings('api').MAX_UPLOAD_BYTES)).toBeLessThanOrEqual(
      Number(parseSettings('file_store').MAX_FILE_BYTES),
    );
  });

  it('publishes exactly the ports the README gives', () => {
    expect(publishedPorts('user_api')).toEqual([]);
    expect(publishedPorts('file_store')).toEqual([{ host: 8081, container: 3000 }]);
    // file_store trusts whoever reaches it: http://localhost:8081 only, not every interface.
    expect(publishedBindings('file_store')).toEqual([
      { address: '127.0.0.1', host: 8081, container: 3000 },
    ]);
    // Unpublished, so that it scales (--scale api=3): the gateway publishes it.
    expect(publishedPorts('api')).toEqual([]);
    expect(publishedPorts('gateway')).toEqual([
      { host: 8080, container: listeningPort('gateway') },
    ]);
    expect(publishedPorts('web')).toEqual([{ host: 80, container: listeningPort('web') }]);
    expect(publishedPorts('db')).toEqual([]);
    expect(publishedPorts('valkey')).toEqual([]);
  });

  describe('gateway', () => {
    it('sends requests to the api replicas on the port they listen on', () => {
      const upstream = new URL(environmentOf('gateway').API_UPSTREAM ?? '');
      expect(upstream.hostname).toBe('api');
      expect(Number(upstream.port)).toBe(listeningPort('api'));
      // Found through the network's DNS as each request runs, so scaled replicas are seen.
      expect(readGatewayConf()).toMatch(/resolver \$\{API_RESOLVER\}/);
      expect(readGatewayConf()).toMatch(/proxy_pass \$api_replicas;/);
      expect(readFileSync(resolve(root, 'gateway/Dockerfile'), 'utf8')).toContain(
        'COPY gateway/docker-entrypoint.d/15-api-resolver.envsh /docker-entrypoint.d/',
      );
    });

    it('proxies with the settings the launcher’s gateway uses too', () => {
      expect(readGatewayConf()).toContain('include /etc/nginx/gateway/proxy.conf;');
      expect(readGatewayConf()).toContain('include /etc/nginx/gateway/errors.conf;');
    });

    it('is the one proxy the API believes: its X-Forwarded-For names the client', () => {
      // The gateway's fixed address, and only it: not a range any other container is in.
      const networks = service('gateway').networks;
      expect(Array.isArray(networks)).toBe(false);
      const address = (networks as Record<string, { ipv4_address?: string }>).default?.ipv4_address;
      expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(parseSettings('api').TRUST_PROXY).toEqual([address]);
      // Every container joins the same network: the API reaches its backends and the gateway
      // its replicas.
      for (const [name, definition] of Object.entries(services)) {
        if (name !== 'gateway') expect(definition.networks, name).toBeUndefined();
      }
      // In the network's range, outside the part containers are given addresses from, so no
      // replica started first can hold it.
      const [range] = compose.networks?.default?.ipam?.config ?? [];
      expect(inRange(String(address), String(range?.subnet))).toBe(true);
      expect(inRange(String(address), String(range?.ip_range))).toBe(false);
      expect(inRange(String(range?.ip_range?.split('/')[0]), String(range?.subnet))).toBe(true);
    });

    it('starts once an API replica is healthy, and the web app once it is', () => {
      expect(service('gateway').depends_on).toEqual({ api: { condition: 'service_healthy' } });
      expect(service('web').depends_on).toEqual({ gateway: { condition: 'service_healthy' } });
    });
  });

  it('builds the web app against the API as the browser reaches it', () => {
    expect(service('web').build?.args?.VITE_API_URL).toBe('http://localhost:8080');
    expect(service('web').build?.args?.VITE_API_URL).toBe(parseSettings('api').PUBLIC_URL);
  });

  it("lets the web app's Content-Security-Policy reach the API it was built for", () => {
    // nginx fills API_ORIGIN into connect-src and media-src (web/nginx/templates).
    const apiUrl = String(service('web').build?.args?.VITE_API_URL);
    expect(environmentOf('web').API_ORIGIN).toBe(new URL(apiUrl).origin);
    // Audio is played from the audioUrl the API hands out, built on PUBLIC_URL.
    expect(environmentOf('web').API_ORIGIN).toBe(
      new URL(String(parseSettings('api').PUBLIC_URL)).origin,
    );
  });

  it('keeps users, files and the database on named volumes', () => {
    const named = Object.keys(compose.volumes ?? {});
    const mountTarget = (name: string, target: string) =>
      (service(name).volumes ?? []).find((volume) => volume.split(':')[1] === target);

    for (const name of ['user_api', 'file_store']) {
      const mount = mountTarget(name, String(parseSettings(name).DATA_DIR));
      expect(mount, `${name} DATA_DIR is not a mounted volume`).toBeDefined();
      expect(named).toContain(mount?.split(':')[0]);
    }
    const dbMount = mountTarget('db', '/var/lib/postgresql/data');
    expect(named).toContain(dbMount?.split(':')[0]);
  });

  it('gives every service a health check and starts dependants only once they are healthy', () => {
    for (const [name, definition] of Object.entries(services)) {
      // The worker answers no HTTP: its dependencies' health is what it needs.
      if (name !== 'worker') {
        expect(definition.healthcheck?.test, `${name} has no healthcheck`).toBeDefined();
      }
      expect(definition.healthcheck?.disable).not.toBe(true);
      const dependsOn = definition.depends_on ?? {};
      expect(Array.isArray(dependsOn), `${name} depends_on needs conditions`).toBe(false);
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        expect(Object.keys(services)).toContain(dependency);
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
      }
    }
    expect(Object.keys(service('api').depends_on ?? {}).sort()).toEqual([
      'db',
      'file_store',
      'user_api',
      'valkey',
    ]);
  });

  it('builds every program from the workspace root with its own existing Dockerfile', () => {
    const builds = composeBuilds(composePath);
    expect(Object.fromEntries(builds.map((build) => [build.service, build.context]))).toEqual({
      user_api: root,
      file_store: root,
      api: root,
      gateway: root,
      worker: root,
      web: root,
    });
    for (const build of builds) expect(existsSync(build.dockerfile), build.dockerfile).toBe(true);
    expect(checkDockerfiles(composePath)).toEqual([]);
  });
});

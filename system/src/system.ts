// startSystem(): the programs asked for, each on its port with its data folder, wired to each
// other, started together and each waited for until it answers its health check. If any part
// fails, whatever started is stopped again before the error is thrown.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GATEWAY_UPSTREAM_ADDRESS, Gateway } from './gateway.ts';
import { type LogMode, logSink } from './logs.ts';
import { findNginx } from './nginx.ts';
import { freePorts, whyBusy } from './ports.ts';
import type { ProgramExit } from './process-group.ts';
import { Program } from './program.ts';
import {
  isProgramName,
  PROGRAM_NAMES,
  PROGRAMS,
  type ProgramName,
  type ProgramSettings,
  type SettingsByProgram,
  type Wiring,
} from './programs.ts';
import {
  checkSettings,
  defaultPort,
  knownSettings,
  optionName,
  portNumber,
  type SettingName,
  SettingsError,
  setEntries,
} from './settings.ts';
import { Supervisor } from './supervisor.ts';

/** SIGTERM first; a program still running this long after gets SIGKILL (all within 5 s). */
export const STOP_GRACE_MS = 4000;

/** The most API replicas one machine's launcher runs. */
export const MAX_API_REPLICAS = 16;

export interface SystemOptions<P extends ProgramName> {
  /** The programs to run (default: all four). Tests run user_api, file_store and the API. */
  programs?: readonly P[];
  /** The system's data folder; each program keeps its data in a folder of its own inside. */
  dataDir: string;
  /**
   * `defaults`: each program's own default port (checked to be free first); `free`: ports
   * nothing listens on. A PORT in `settings` wins either way.
   */
  ports?: 'defaults' | 'free';
  /** The API's Postgres database; unset: the API's embedded PGlite, in its data folder. */
  databaseUrl?: string | undefined;
  /**
   * Settings per program, typed by the program's own package, on top of what the launcher sets
   * (these win: `{ api: { FILE_STORE_URL: proxyUrl } }` puts a proxy in between).
   */
  settings?: SettingsByProgram;
  /**
   * API processes (default 1). More than one: each listens on a free loopback port, all share
   * the one Postgres server (`databaseUrl`), and Debian's nginx (the gateway) takes the API's
   * port and spreads requests over them.
   */
  apiReplicas?: number;
  /**
   * The gateway in front even of one API process (default: only in front of several);
   * `'if-installed'`: when nginx is installed and its loopback address usable, else not.
   */
  gateway?: boolean | 'if-installed';
  /** Extra node flags per program, e.g. `{ api: ['--cpu-prof'] }`. */
  nodeArgs?: { [Q in ProgramName]?: readonly string[] };
  /** Development: Node programs restart when their sources change; the web app under Vite's dev server. */
  dev?: boolean;
  /** Where the programs' log lines go (default `none`: kept in memory, see Program.output()). */
  logs?: LogMode;
  /** What the programs inherit (default: this process's environment); program settings never are. */
  environment?: Record<string, string | undefined>;
  /** The host in the URLs a browser uses (default `localhost`; the programs bind 127.0.0.1). */
  publicHost?: string;
  /** How messages name a setting the caller gave (default: `settings.api.PORT`). */
  settingName?: SettingName;
  healthTimeoutMs?: number;
  stopGraceMs?: number;
  /** Aborting it (Ctrl-C during start-up) stops what has started and rejects. */
  signal?: AbortSignal;
  /**
   * Once everything has started, a program that dies by itself is started again (after a
   * pause that grows while it keeps dying), and `notice` says so; `firstExit` then reports the
   * gateway alone. Without it, the first death is reported and the caller decides.
   */
  supervise?: { notice(message: string): void };
}

export interface RunningSystem<P extends ProgramName = ProgramName> {
  /** Each program; with several API replicas, `api` is the first of them. */
  programs: { [Q in P]: Program<Q> };
  /** Every API process (one unless `apiReplicas` says more; none if the API is not run). */
  apiReplicas: Program<'api'>[];
  /** With more than one API replica: nginx on the API's port, in front of them. */
  gateway: Gateway | undefined;
  /** How programs and tests reach the API: the gateway, or the one API process. */
  apiUrl: string | undefined;
  dataDir: string;
  /**
   * Resolves with the first program whose run ends without stop() or kill() asking (under
   * `supervise`, only the gateway: the programs are started again).
   */
  firstExit: Promise<{ program: Program | Gateway; exit: ProgramExit }>;
  /** Stops every program at once: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Ports are busy; one message per port, each naming the setting that changes it. */
export class PortsBusyError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

/** Where `program` keeps its data inside a system's data folder (as startSystem lays it out). */
export function programDataDir(dataDir: string, program: ProgramName): string {
  return join(resolve(dataDir), PROGRAMS[program].dataFolder);
}

const HOST = '127.0.0.1';

export async function startSystem<const P extends ProgramName = ProgramName>(
  options: SystemOptions<P>,
): Promise<RunningSystem<P>> {
  const names = (options.programs ?? PROGRAM_NAMES) as readonly P[];
  for (const name of names) {
    if (!isProgramName(name)) throw new SettingsError(`there is no program ${name}`);
  }
  for (const name of Object.keys(options.settings ?? {})) {
    if (!isProgramName(name))
      throw new SettingsError(`settings for ${name}: there is no such program`);
  }
  const settingName = options.settingName ?? optionName;
  const dataDir = resolve(options.dataDir);
  const settingsOf = <Q extends ProgramName>(name: Q) =>
    options.settings?.[name] as ProgramSettings[Q] | undefined;

  const replicaCount = (names as readonly ProgramName[]).includes('api')
    ? checkReplicas(
        options.apiReplicas ?? 1,
        options.databaseUrl ?? settingsOf('api')?.DATABASE_URL,
      )
    : 1;
  const withApi = (names as readonly string[]).includes('api');
  const withGateway =
    replicaCount > 1 ||
    (withApi && options.gateway === true) ||
    (withApi && options.gateway === 'if-installed' && (await gatewayPossible()));
  if (withGateway && !findNginx()) {
    throw new SettingsError(
      `${replicaCount > 1 ? `API_REPLICAS=${replicaCount} puts nginx in front of the replicas` : 'the API gateway is nginx'}, and nginx is not installed (Debian: apt-get install nginx)`,
    );
  }
  if (withGateway) {
    const why = await whyBusy(GATEWAY_UPSTREAM_ADDRESS, 0);
    if (why) {
      throw new SettingsError(
        `the API gateway reaches the replicas from ${GATEWAY_UPSTREAM_ADDRESS} (so that they believe its X-Forwarded-For and no other program's), and that address ${why} here (Linux routes all of 127.0.0.0/8 to loopback; elsewhere add it, e.g. macOS: sudo ifconfig lo0 alias ${GATEWAY_UPSTREAM_ADDRESS})`,
      );
    }
  }
  const ports = await choosePorts(names, options.ports ?? 'defaults', settingsOf, settingName);
  const part = (name: ProgramName) => (names as readonly ProgramName[]).includes(name);
  const publicHost = options.publicHost ?? 'localhost';
  const wiring: Wiring = {
    host: HOST,
    url: (name) => (part(name) ? `http://${HOST}:${ports.get(name)}` : undefined),
    publicUrl: (name) => (part(name) ? `http://${publicHost}:${ports.get(name)}` : undefined),
    port: (name) => ports.get(name) ?? Number.NaN,
    dataDir: (name) => programDataDir(dataDir, name),
    databaseUrl: options.databaseUrl,
  };

  // Everything is checked before anything starts.
  const wired = new Map<ProgramName, object>();
  for (const name of names) {
    const own = PROGRAMS[name].wiring(wiring) as ProgramSettings[P];
    const all = { ...own, ...settingsOf(name) } as ProgramSettings[P];
    for (const [setting, needed] of Object.entries(PROGRAMS[name].needs)) {
      if ((all as Record<string, unknown>)[setting] === undefined) {
        throw new SettingsError(
          `${name} needs ${needed}: run it too, or set ${settingName(name, setting)}`,
        );
      }
    }
    checkSettings(name, settingsOf(name), all, settingName);
    wired.set(name, own);
  }
  if ((options.ports ?? 'defaults') === 'defaults') {
    const problems: string[] = [];
    for (const name of names) {
      const why = await whyBusy(HOST, ports.get(name) as number);
      if (why) {
        problems.push(
          `port ${ports.get(name)} (${PROGRAMS[name].label}) ${why}; stop what holds it or choose another port with ${settingName(name, 'PORT')}=<port>`,
        );
      }
    }
    if (problems.length > 0) throw new PortsBusyError(problems);
  }
  await mkdir(dataDir, { recursive: true });

  const environment = inheritedEnvironment(options.environment ?? process.env, names, wired);
  const sink = logSink(options.logs ?? 'none');
  let reportExit: (value: { program: Program | Gateway; exit: ProgramExit }) => void = () => {};
  const firstExit = new Promise<{ program: Program | Gateway; exit: ProgramExit }>((resolve) => {
    reportExit = resolve;
  });
  const supervisor = options.supervise && new Supervisor(options.supervise);
  /** Everything has started: from now on, a program that dies is the supervisor's. */
  let up = false;
  const programs = {} as Record<ProgramName, Program>;
  const setupFor = <Q extends ProgramName>(name: Q) => ({
    name,
    port: ports.get(name) as number,
    url: wiring.url(name) as string,
    publicUrl: wiring.publicUrl(name) as string,
    dataDir: wiring.dataDir(name),
    environment,
    wiring: wired.get(name) as ProgramSettings[Q],
    settings: settingsOf(name),
    nodeArgs: options.nodeArgs?.[name] ?? [],
    dev: options.dev ?? false,
    sink,
    settingName,
    healthTimeoutMs: options.healthTimeoutMs ?? 60_000,
    stopGraceMs: options.stopGraceMs ?? STOP_GRACE_MS,
    signal: options.signal,
    onUnexpectedExit: (program: Program<Q>, exit: ProgramExit) => {
      if (supervisor && up) supervisor.exited(program as Program, exit);
      else reportExit({ program: program as Program, exit });
    },
  });
  for (const name of names) programs[name] = new Program<ProgramName>(setupFor(name));
  let apiReplicas: Program<'api'>[] = programs.api ? [programs.api as Program<'api'>] : [];
  if (withGateway) {
    // The gateway takes the API's port; each replica gets one of its own, and believes the
    // gateway's X-Forwarded-For so that per-client limits see clients: only the gateway's,
    // which connects from an address of its own (any other local program comes from 127.0.0.1
    // and could write any X-Forwarded-For).
    const replicaPorts = await freePorts(replicaCount);
    const { PORT: _gatewayPort, ...settings } = settingsOf('api') ?? {};
    apiReplicas = replicaPorts.map(
      (port, index) =>
        new Program<'api'>({
          ...setupFor('api'),
          logName: `api-${index + 1}`,
          port,
          url: `http://${HOST}:${port}`,
          wiring: {
            ...wired.get('api'),
            TRUST_PROXY: GATEWAY_UPSTREAM_ADDRESS,
            PORT: String(port),
          },
          settings,
        }),
    );
    programs.api = apiReplicas[0] as Program;
  }
  const all: Program[] = [
    ...(Object.values(programs) as Program[]).filter((program) => program.name !== 'api'),
    ...apiReplicas,
  ];
  let gateway: Gateway | undefined;
  let stopping = false;
  const stop = async (graceMs?: number) => {
    stopping = true;
    supervisor?.stop();
    await Promise.all([gateway?.stop(graceMs), ...all.map((program) => program.stop(graceMs))]);
  };

  // allSettled: every start has to end (or fail) before what started is stopped.
  const started = await Promise.allSettled(all.map((program) => program.start()));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  if (withGateway) {
    try {
      gateway = await Gateway.start({
        host: HOST,
        port: ports.get('api') as number,
        publicUrl: wiring.publicUrl('api') as string,
        replicas: apiReplicas.map((replica) => replica.url),
        // Where the API itself reaches file_store (a setting may put something in between).
        fileStoreUrl: String(
          settingsOf('api')?.FILE_STORE_URL ??
            (wired.get('api') as ProgramSettings['api']).FILE_STORE_URL,
        ),
        dir: join(dataDir, 'gateway'),
        timeoutMs: options.healthTimeoutMs ?? 60_000,
        onLine: sink && ((line) => sink('gateway', line)),
        signal: options.signal,
      });
    } catch (error) {
      await stop();
      throw error;
    }
    const running = gateway;
    void running.exited.then((exit) => {
      if (!stopping) reportExit({ program: running, exit });
    });
  }
  up = true;
  return {
    programs: programs as unknown as { [Q in P]: Program<Q> },
    apiReplicas,
    gateway,
    apiUrl: gateway?.url ?? programs.api?.url,
    dataDir,
    firstExit,
    stop,
  };
}

/** Whether the gateway can run here: nginx is installed and its own loopback address free. */
async function gatewayPossible(): Promise<boolean> {
  return Boolean(findNginx()) && !(await whyBusy(GATEWAY_UPSTREAM_ADDRESS, 0));
}

/** The number of API replicas, checked: more than one needs Postgres and nginx. */
function checkReplicas(count: number, databaseUrl: string | undefined): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_API_REPLICAS) {
    throw new SettingsError(
      `API_REPLICAS is ${count}; it must be a whole number from 1 to ${MAX_API_REPLICAS}`,
    );
  }
  if (count === 1) return count;
  if (!databaseUrl) {
    throw new SettingsError(
      `API_REPLICAS=${count} needs a Postgres server (DATABASE_URL): replicas share one database, and the embedded PGlite belongs to one process`,
    );
  }
  return count;
}

/** Each program's port: its PORT setting, else a free one or its own default. */
async function choosePorts(
  names: readonly ProgramName[],
  mode: 'defaults' | 'free',
  settingsOf: (name: ProgramName) => { PORT?: string } | undefined,
  settingName: SettingName,
): Promise<Map<ProgramName, number>> {
  const ports = new Map<ProgramName, number>();
  const free = await freePorts(mode === 'free' ? names.length : 0);
  for (const name of names) {
    const given = settingsOf(name)?.PORT;
    if (given !== undefined) ports.set(name, portNumber(given, settingName(name, 'PORT')));
    else ports.set(name, mode === 'free' ? (free.pop() as number) : defaultPort(name));
  }
  const taken = new Map<number, ProgramName>();
  for (const name of names) {
    const port = ports.get(name) as number;
    const other = taken.get(port);
    if (other) {
      throw new SettingsError(
        `${PROGRAMS[other].label} and ${PROGRAMS[name].label} would both listen on port ${port}; give each its own (${settingName(other, 'PORT')}, ${settingName(name, 'PORT')})`,
      );
    }
    taken.set(port, name);
  }
  return ports;
}

/**
 * The environment minus every program setting (PORT, DATA_DIR, LOG_LEVEL…) and every
 * `<PROGRAM>__<SETTING>` variable: a `PORT` left in the shell must not reach all four at once.
 * Settings reach a program only through the launcher.
 */
function inheritedEnvironment(
  environment: Record<string, string | undefined>,
  names: readonly ProgramName[],
  wired: Map<ProgramName, object>,
): Record<string, string> {
  const drop = new Set<string>();
  for (const name of PROGRAM_NAMES) {
    for (const setting of knownSettings(name)) drop.add(setting);
  }
  for (const name of names) {
    for (const setting of Object.keys(wired.get(name) ?? {})) drop.add(setting);
  }
  const prefixes = PROGRAM_NAMES.map((name) => `${name.toUpperCase()}__`);
  const inherited = setEntries(environment);
  for (const key of Object.keys(inherited)) {
    if (drop.has(key) || prefixes.some((prefix) => key.startsWith(prefix))) delete inherited[key];
  }
  return inherited;
}

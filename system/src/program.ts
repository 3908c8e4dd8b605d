// One program of a running system: where it is (port, URLs, data folder), and its runs. It can
// be stopped, killed with any signal and started again on the same port and data, each run
// with settings of its own on top of the system's; its output is kept per run.
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { waitHealthy } from './health.ts';
import type { LineSink } from './logs.ts';
import { CapturedOutput, type LineMatch } from './output.ts';
import { type GroupProcess, type ProgramExit, spawnNodeGroup } from './process-group.ts';
import { PROGRAMS, type ProgramName, type ProgramSettings } from './programs.ts';
import { checkSettings, type SettingName, setEntries } from './settings.ts';

/** What one start may add to the system's settings and node flags for the program. */
export interface RunOptions<P extends ProgramName = ProgramName> {
  /** On top of the system's settings for this program, for this run only. */
  settings?: ProgramSettings[P];
  /** Node flags on top of the system's, for this run only (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
}

/** Everything a Program needs from the system it belongs to. */
export interface ProgramSetup<P extends ProgramName> {
  name: P;
  /** How its log lines are labelled (default: its name; `api-2` for the API's second replica). */
  logName?: string;
  port: number;
  url: string;
  publicUrl: string;
  dataDir: string;
  /** The environment it inherits, every program setting removed. */
  environment: Record<string, string>;
  /** What the launcher sets: port, host, data folder, the others' URLs. */
  wiring: ProgramSettings[P];
  /** The caller's settings for it, on top of the wiring. */
  settings: ProgramSettings[P] | undefined;
  nodeArgs: readonly string[];
  dev: boolean;
  /** Where its log lines are shown; undefined: kept in memory only. */
  sink: LineSink | undefined;
  settingName: SettingName;
  healthTimeoutMs: number;
  stopGraceMs: number;
  /** Aborted: a start under way gives up. */
  signal: AbortSignal | undefined;
  /** Called when a run ends without stop() or kill() having been asked for. */
  onUnexpectedExit(program: Program<P>, exit: ProgramExit): void;
}

interface Run {
  group: GroupProcess;
  output: CapturedOutput;
  /** stop() or kill() asked for this run's end. */
  ended: boolean;
}

export class Program<P extends ProgramName = ProgramName> {
  readonly name: P;
  /** How its log lines are labelled: its name, or `api-2` for one of several replicas. */
  readonly logName: string;
  /** How messages name it ("the API"). */
  readonly label: string;
  readonly port: number;
  /** How programs and tests reach it: the loopback address it binds. */
  readonly url: string;
  /** How a browser reaches it (http://localhost:<port> unless the system says otherwise). */
  readonly publicUrl: string;
  /** Its own folder inside the system's data folder. */
  readonly dataDir: string;
  private readonly setup: ProgramSetup<P>;
  private run: Run | undefined;
  private starting: Promise<void> | undefined;

  constructor(setup: ProgramSetup<P>) {
    this.setup = setup;
    this.name = setup.name;
    this.logName = setup.logName ?? setup.name;
    this.label = PROGRAMS[setup.name].label;
    this.port = setup.port;
    this.url = setup.url;
    this.publicUrl = setup.publicUrl;
    this.dataDir = setup.dataDir;
  }

  /** The process id of the current (or last) run; -1 before the first. */
  get pid(): number {
    return this.run?.group.pid ?? -1;
  }

  /** The current (or last) run's process, e.g. to signal it alone (the group: kill()). */
  get process(): ChildProcess {
    if (!this.run) throw new Error(`${this.logName} has not been started`);
    return this.run.group.process;
  }

  /** Resolves when the current (or last) run has exited. */
  get exited(): Promise<ProgramExit> {
    if (!this.run) return Promise.reject(new Error(`${this.logName} has not been started`));
    return this.run.group.exited;
  }

  isRunning(): boolean {
    return this.run !== undefined && !this.run.group.hasExited();
  }

  /** Everything the current (or last) run wrote, stdout and stderr, line by line. */
  output(): string {
    return this.run?.output.text() ?? '';
  }

  /**
   * Resolves with the first line of the current run, written so far or to come, that `match`
   * accepts (a RegExp tests the raw line, a function gets each JSON log line parsed).
   */
  waitForLog(match: LineMatch, timeoutMs = 15_000): Promise<string> {
    if (!this.run) return Promise.reject(new Error(`${this.logName} has not been started`));
    return this.run.output.waitFor(match, timeoutMs, this.logName);
  }

  /** Starts a run and resolves once it answers its health check (throws with its output if not). */
  start(options: RunOptions<P> = {}): Promise<void> {
    if (this.starting || this.isRunning()) {
      return Promise.reject(new Error(`${this.logName} is already running`));
    }
    this.starting = this.startRun(options).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves with how it exited. */
  async stop(graceMs = this.setup.stopGraceMs): Promise<ProgramExit> {
    await this.starting?.catch(() => {});
    if (!this.run) return { code: null, signal: null };
    this.run.ended = true;
    return this.run.group.stop(graceMs);
  }

  /** Sends `signal` to its process group and resolves once it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ProgramExit> {
    if (!this.run) return { code: null, signal: null };
    this.run.ended = true;
    this.run.group.signal(signal);
    return this.run.group.exited;
  }

  /** Stops it (if it runs) and starts it again on the same port and data. */
  async restart(options: RunOptions<P> = {}): Promise<void> {
    await this.stop();
    await this.start(options);
  }

  private async startRun(options: RunOptions<P>): Promise<void> {
    const { setup } = this;
    const definition = PROGRAMS[setup.name];
    if (options.settings && 'PORT' in options.settings) {
      throw new Error(`${this.logName}: a run cannot change PORT; give it to the system`);
    }
    const given = { ...setup.settings, ...options.settings } as ProgramSettings[P];
    const settings = { ...setup.wiring, ...given } as ProgramSettings[P];
    checkSettings(setup.name, given, settings, setup.settingName);

    const context = { settings, dataDir: setup.dataDir, dev: setup.dev };
    const show = (line: string) => setup.sink?.(this.logName, line);
    await mkdir(setup.dataDir, { recursive: true });
    if (!setup.dev && definition.prepare) {
      await definition.prepare(context, (line) => setup.sink?.(`${this.logName}:build`, line));
    }
    if (setup.signal?.aborted) throw new Error('start-up interrupted');

    const command = definition.command(context);
    const group = spawnNodeGroup({
      args: [
        ...definition.nodeFlags,
        ...setup.nodeArgs,
        ...(options.nodeArgs ?? []),
        ...command.args,
      ],
      cwd: command.cwd,
      env: { ...setup.environment, ...setEntries(settings) },
    });
    const run: Run = {
      group,
      output: new CapturedOutput([group.process.stdout, group.process.stderr], show),
      ended: false,
    };
    this.run = run;
    void group.exited.then((exit) => {
      if (!run.ended) setup.onUnexpectedExit(this, exit);
    });

    try {
      await waitHealthy(`${setup.url}${definition.healthPath}`, {
        timeoutMs: setup.healthTimeoutMs,
        gaveUp: () => {
          if (setup.signal?.aborted) return 'start-up interrupted';
          if (group.hasExited()) return `${this.logName} exited before answering its health check`;
          return undefined;
        },
      });
    } catch (error) {
      run.ended = true;
      await group.stop(setup.stopGraceMs);
      const reason = (error as Error).message;
      if (setup.signal?.aborted) throw error;
      throw new Error(`${reason}; its output ends with:\n${run.output.tail()}`);
    }
  }
}

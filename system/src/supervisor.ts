// What `pnpm start` does when one of its programs dies by itself: starts it again, after a
// pause that doubles with each death in a row, while the others keep serving (the gateway
// routes around a dead API replica meanwhile). Stopping the system cancels every restart.
import type { ProgramExit } from './process-group.ts';
import type { Program } from './program.ts';

/** The first pause before a restart, and the longest. */
const FIRST_PAUSE_MS = 500;
const LONGEST_PAUSE_MS = 30_000;
/** A run that lasted this long was healthy: the next death starts the pauses over. */
const HEALTHY_RUN_MS = 60_000;

export interface SupervisorOptions {
  /** One line for the person running the system. */
  notice(message: string): void;
}

interface Restarts {
  /** Deaths in a row (each run shorter than HEALTHY_RUN_MS). */
  inARow: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

export class Supervisor {
  private readonly options: SupervisorOptions;
  private readonly restarts = new Map<Program, Restarts>();
  private stopped = false;

  constructor(options: SupervisorOptions) {
    this.options = options;
  }

  /** `program` exited without being asked: it is started again after a pause. */
  exited(program: Program, exit: ProgramExit, why = describeExit(exit)): void {
    if (this.stopped) return;
    const state = this.restarts.get(program) ?? { inARow: 0, startedAt: 0 };
    this.restarts.set(program, state);
    if (Date.now() - state.startedAt >= HEALTHY_RUN_MS) state.inARow = 0;
    const pauseMs = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** state.inARow);
    state.inARow++;
    this.options.notice(
      `${program.logName} ${why}; starting it again in ${(pauseMs / 1000).toFixed(1)} s`,
    );
    state.timer = setTimeout(() => void this.restart(program, state), pauseMs);
  }

  /** No more restarts (the system is stopping). */
  stop(): void {
    this.stopped = true;
    for (const state of this.restarts.values()) clearTimeout(state.timer);
  }

  private async restart(program: Program, state: Restarts): Promise<void> {
    if (this.stopped) return;
    state.startedAt = Date.now();
    try {
      await program.start();
      if (!this.stopped) this.options.notice(`${program.logName} is running again`);
    } catch (error) {
      if (this.stopped) return;
      // It did not come up (its port held a moment longer, a dependency away): pause, try again.
      const firstLine = (error as Error).message.split('\n')[0] ?? '';
      this.exited(program, { code: null, signal: null }, `did not start again (${firstLine})`);
    }
  }
}

function describeExit(exit: ProgramExit): string {
  return `exited by itself (${exit.signal ?? `exit code ${exit.code}`})`;
}

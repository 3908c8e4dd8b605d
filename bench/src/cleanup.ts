// What must be undone however the benchmark ends, Ctrl-C included: the programs it starts run
// in process groups of their own, so nothing else would stop them.

const pending = new Set<() => Promise<void>>();
const running: Promise<void>[] = [];
let interrupted = false;

/**
 * Registers `undo`; call the returned function once it has been done the normal way. After a
 * Ctrl-C, whatever still gets started is undone at once.
 */
export function registerCleanup(undo: () => Promise<void>): () => void {
  if (interrupted) {
    running.push(undo().catch(() => {}));
    return () => {};
  }
  pending.add(undo);
  return () => pending.delete(undo);
}

/** True once a signal asked the benchmark to stop. */
export function wasInterrupted(): boolean {
  return interrupted;
}

/**
 * Runs every registered cleanup, newest first, and waits for those started after a Ctrl-C
 * (a program that was starting) before the older ones; failures are ignored (best effort).
 */
export async function cleanUpAll(): Promise<void> {
  while (pending.size > 0 || running.length > 0) {
    if (running.length > 0) {
      await running.shift();
      continue;
    }
    const undo = [...pending].pop() as () => Promise<void>;
    pending.delete(undo);
    await undo().catch(() => {});
  }
}

/** On Ctrl-C or SIGTERM: undo everything, then `last` (e.g. remove the scratch folder), exit. */
export function cleanUpOnSignals(last: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`bench: ${signal}: stopping what it started\n`);
      // What was running fails as its programs go away; that is expected now, not news.
      process.on('uncaughtException', () => {});
      process.on('unhandledRejection', () => {});
      void cleanUpAll()
        .then(last)
        .finally(() => process.exit(130));
    });
  }
}

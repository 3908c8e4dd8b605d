import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type MeasuredProcess as ChildApi, residentBytes } from './process-memory.ts';
import { waitUntil } from './wait.ts';

/**
 * Bookkeeping for load tests: what each kind of request was answered (by status, or the
 * network error it failed with) and how long it took, summarised as a table.
 */
export class RequestTally {
  private readonly kinds = new Map<string, { statuses: Map<string, number>; ms: number[] }>();

  /** Times `send` (which resolves to the HTTP status) and records its outcome under `kind`. */
  async time(kind: string, send: () => Promise<number>): Promise<number | undefined> {
    const started = performance.now();
    let outcome: string;
    let status: number | undefined;
    try {
      status = await send();
      outcome = String(status);
    } catch (error) {
      outcome = (error as { code?: string }).code ?? (error as Error).name;
    }
    this.record(kind, outcome, performance.now() - started);
    return status;
  }

  /** Every outcome seen for `kind` (a status like "200", or an error code), with its count. */
  outcomes(kind: string): Record<string, number> {
    return Object.fromEntries(this.kinds.get(kind)?.statuses ?? []);
  }

  /** Every outcome seen that is not in `expected[kind]`, as "kind outcome": count. */
  unexpected(expected: Record<string, string[]>): Record<string, number> {
    const found: Record<string, number> = {};
    for (const [kind, { statuses }] of this.kinds) {
      for (const [outcome, count] of statuses) {
        if (!expected[kind]?.includes(outcome)) found[`${kind} ${outcome}`] = count;
      }
    }
    return found;
  }

  total(kind?: string): number {
    let total = 0;
    for (const [name, { ms }] of this.kinds)
      if (kind === undefined || name === kind) total += ms.length;
    return total;
  }

  /** One row per kind (and a total): outcomes, rate over `seconds`, latency percentiles. */
  summary(seconds: number): Array<Record<string, string | number>> {
    const rows = [...this.kinds].map(([kind, { statuses, ms }]) => row(kind, statuses, ms));
    const all = [...this.kinds.values()];
    const statuses = new Map<string, number>();
    for (const { statuses: each } of all) {
      for (const [outcome, count] of each)
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + count);
    }
    rows.push(
      row(
        'all',
        statuses,
        all.flatMap(({ ms }) => ms),
      ),
    );
    return rows;

    function row(kind: string, outcomes: Map<string, number>, ms: number[]) {
      const sorted = [...ms].sort((a, b) => a - b);
      const at = (quantile: number) =>
        sorted.length === 0 ? 0 : round(sorted[Math.ceil(quantile * sorted.length) - 1] ?? 0);
      return {
        kind,
        requests: ms.length,
        outcomes: [...outcomes].map(([outcome, count]) => `${outcome}:${count}`).join(' '),
        'req/s': round(ms.length / seconds),
        'p50 ms': at(0.5),
        'p99 ms': at(0.99),
        'max ms': round(sorted.at(-1) ?? 0),
      };
    }
  }

  private record(kind: string, outcome: string, ms: number) {
    let entry = this.kinds.get(kind);
    if (!entry) {
      entry = { statuses: new Map(), ms: [] };
      this.kinds.set(kind, entry);
    }
    entry.statuses.set(outcome, (entry.statuses.get(outcome) ?? 0) + 1);
    entry.ms.push(ms);
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** What a process holds from the system: resident memory and open file descriptors. */
export interface Footprint {
  rssBytes: number;
  openFds: number;
}

/** Reads a (Linux) process's footprint from /proc. */
export async function footprintOf(pid: number): Promise<Footprint> {
  const [rssBytes, fds] = await Promise.all([residentBytes(pid), readdir(`/proc/${pid}/fd`)]);
  return { rssBytes, openFds: fds.length };
}

/** NODE_OPTIONS for an API child process whose live heap `settledFootprint` may measure. */
export const GC_PROBE_NODE_OPTIONS = `--import=${fileURLToPath(new URL('./gc-probe.ts', import.meta.url))}`;

/**
 * The API's footprint once a full garbage collection has run (the child must have been started
 * with GC_PROBE_NODE_OPTIONS), with its live JS heap: what it really holds on to.
 */
export async function settledFootprint(
  api: ChildApi,
): Promise<Footprint & { liveHeapBytes: number }> {
  const probes = () =>
    api
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"gc probe"'))
      .map((line) => JSON.parse(line) as { heapUsed: number });
  const seen = probes().length;
  api.process.kill('SIGWINCH');
  await waitUntil('the API to collect its garbage', () => probes().length > seen);
  const liveHeapBytes = probes()[seen]?.heapUsed ?? Number.NaN;
  return { ...(await footprintOf(api.pid)), liveHeapBytes };
}

/** Samples a process's footprint every `everyMs` until stopped, keeping the largest values. */
export function watchFootprint(pid: number, everyMs = 250) {
  const peak: Footprint = { rssBytes: 0, openFds: 0 };
  let sampling: Promise<void> = Promise.resolve();
  const sample = () => {
    sampling = footprintOf(pid).then(
      (now) => {
        peak.rssBytes = Math.max(peak.rssBytes, now.rssBytes);
        peak.openFds = Math.max(peak.openFds, now.openFds);
      },
      () => {},
    );
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    async stop(): Promise<Footprint> {
      clearInterval(timer);
      await sampling;
      return peak;
    },
  };
}

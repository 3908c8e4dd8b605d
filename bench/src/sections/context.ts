import type { BenchDatabase } from '../database.ts';
import type { BenchPlan } from '../plan.ts';
import type { BenchSystem } from '../system.ts';

/** What every section gets: the plan, the running system, a registered uploader. */
export interface BenchContext {
  plan: BenchPlan;
  system: BenchSystem;
  database: BenchDatabase;
  userId: number;
  /** A scratch folder of this run's own. */
  workDir: string;
  /** The running system's data folder (as CLOUD_SOUND_DATA_DIR lays it out). */
  systemDir: string;
}

/** A section's printed result: a heading, one markdown table, notes under it. */
export interface SectionReport {
  title: string;
  header: string[];
  rows: (string | number)[][];
  notes: string[];
}

/** The cell that marks a failure; the smoke test fails on any. */
export const errorCell = (error: unknown) =>
  `ERROR: ${(error as Error).message ?? String(error)}`.replaceAll('|', '/').replaceAll('\n', ' ');

/** What a section that starts systems of its own gets (no shared system is running then). */
export interface OwnSystemsContext {
  plan: BenchPlan;
  /** `another()` gives a fresh database on the same server for each system. */
  database: BenchDatabase;
  /** A scratch folder of this run's own; each system gets a folder inside. */
  workDir: string;
}

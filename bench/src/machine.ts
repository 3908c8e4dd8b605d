// Every figure is recorded with the machine it came from.
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
}

export function describeMachine(databaseLabel: string): string[] {
  return [
    `- machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 1024 ** 3)} GiB, Linux ${release()}`,
    `- Node.js ${process.version}`,
    `- database: ${databaseLabel}`,
    `- load average at the start (1, 5, 15 min): ${loadAverage()} — other work on this machine shares its cores`,
  ];
}

// `pnpm --filter @cloud-sound/bench smoke` as CI runs it: every section of the benchmark with
// tiny sizes. The figures mean nothing here; what counts is that each table has rows and that
// no measurement failed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

function runSmoke(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['src/main.ts', '--smoke'], {
      cwd: BENCH_DIR,
      // On the tests' Postgres server when there is one (CI): the replicas section needs it.
      env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Each markdown table in `text`: its header cells and its data rows' cells. */
function tables(text: string): { header: string[]; rows: string[][] }[] {
  const found: { header: string[]; rows: string[][] }[] = [];
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.startsWith('|') || !/^\|[\s|-]+\|$/.test(lines[i + 1] ?? '')) continue;
    const header = cells(lines[i] as string);
    const rows: string[][] = [];
    let j = i + 2;
    while (lines[j]?.startsWith('|')) rows.push(cells(lines[j++] as string));
    found.push({ header, rows });
    i = j;
  }
  return found;
}

it('runs every section in smoke mode and prints a table with rows for each, without errors', async () => {
  const began = performance.now();
  const { code, output } = await runSmoke();
  const printed = tables(output);
  // upload, playback, listing, concurrency, slow readers, live events, start-up, catalogue,
  // replicas, processing, fairness, resumable
  expect(printed.map((table) => table.rows.length > 0)).toEqual(Array(12).fill(true));
  for (const table of printed) {
    for (const row of table.rows) {
      expect(row.length).toBe(table.header.length);
      expect(row.join(' ')).not.toMatch(/ERROR/);
    }
  }
  expect(output).not.toMatch(/measurement\(s\) failed/);
  expect(code, output).toBe(0);
  // The smoke run is meant for CI: it has to stay quick (twelve sections, two of them starting a
  // system per measurement, while other suites share the two cores).
  expect(performance.now() - began).toBeLessThan(180_000);
});

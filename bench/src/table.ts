// Markdown tables, and the number formats every table uses.

export type Cell = string | number;

/** A row may stop early: the cells it leaves out are blank (a row that failed, say why, stop). */
export function markdownTable(header: string[], rows: Cell[][]): string {
  const text = rows.map((row) => header.map((_, i) => String(row[i] ?? '')));
  const widths = header.map((title, i) =>
    Math.max(title.length, ...text.map((row) => (row[i] ?? '').length), 3),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

export const fixed = (value: number, digits = 1) =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

export const percent = (ratio: number) =>
  Number.isFinite(ratio) ? `${Math.round(ratio * 100)} %` : 'n/a';

export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The `p`th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

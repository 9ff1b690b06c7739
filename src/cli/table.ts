import { printable } from './format.js';

/**
 * Plain columns for terminal output: left-aligned, two spaces apart, the last column unpadded.
 * Cells are made printable (a line break in a message would break the table).
 */
export function table(head: string[], raw: string[][]): string {
  const rows = raw.map((r) => r.map(printable));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

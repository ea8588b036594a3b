/**
 * The execution view as a terminal table: one row per state entered, in order.
 */
import type { ExecutionView, StateRow } from './history';

const COLORS: Record<string, string> = { SUCCEEDED: '32', FAILED: '31', CAUGHT: '33', RUNNING: '36', CANCELLED: '90' };

const clip = (text: string | undefined, width: number) => {
  if (text === undefined) return '';
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
};

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function renderExecutionTable(title: string, view: ExecutionView, options: { color?: boolean; ioWidth?: number } = {}): string {
  const color = options.color ?? false;
  const io = options.ioWidth ?? 40;
  const start = view.rows[0]?.enteredAt.getTime() ?? 0;
  const header = ['#', 'State', 'Type', 'Status', 'At', 'Duration', 'Input', 'Output / Error'];
  const cells = view.rows.map((row: StateRow, i) => [
    String(i + 1),
    row.name,
    row.type,
    row.status,
    `+${formatDuration(row.enteredAt.getTime() - start)}`,
    formatDuration(row.durationMs),
    clip(row.input, io),
    row.error ? clip(`${row.error}: ${row.cause ?? ''}`, io + 20) : clip(row.output, io),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const paint = (text: string, status: string) => (color && COLORS[status] ? `\u001b[${COLORS[status]}m${text}\u001b[0m` : text);
  const out = [
    `${title}  ${paint(view.status, view.status)}${view.error ? `  ${view.error}: ${clip(view.cause, 120)}` : ''}`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
  ];
  for (const [i, r] of cells.entries()) {
    const text = line(r);
    out.push(paint(text, view.rows[i]!.status));
  }
  return out.join('\n');
}

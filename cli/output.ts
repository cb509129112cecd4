/**
 * What the CLI prints: aligned tables for lists, `key  value` lines for one object, JSON with --json.
 */

export interface Output {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A cell: null and undefined are `-`, objects are compact JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Columns padded to the widest cell; the last column is not padded. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: readonly string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] as number))).join('  ');
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** One object as `key  value` lines, nested objects as compact JSON. */
export function record(value: Record<string, unknown>, keys: readonly string[] = Object.keys(value)): string {
  const width = Math.max(...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(width)}  ${cell(value[k])}`).join('\n');
}

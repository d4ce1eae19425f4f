/** Bytes for people: `512 B`, `1.5 KiB`, `3.20 MiB` (binary units, three significant digits). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value.toPrecision(3)} ${units[unit]}`;
}

/** A timestamp (ms since the epoch) as ISO 8601 in UTC, or `-` for one that is not a valid date. */
export function formatTimestamp(timestamp: number): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString();
}

/** Which columns of {@link formatTable} are right-aligned (numbers). */
export type ColumnAlignment = readonly ('left' | 'right')[];

/** Rows padded into columns two spaces apart, header first; trailing spaces trimmed. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], alignment: ColumnAlignment): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (alignment[column] === 'right' ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `1 checkpoint`, `2 checkpoints`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

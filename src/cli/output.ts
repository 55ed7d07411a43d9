// CSV writing for `oxnet predict` (RFC 4180 quoting) and the size-search table.

/** Quotes a cell when it holds a comma, quote or line break; doubles inner quotes. */
export function csvCell(value: string | number): string {
  const s = typeof value === 'number' ? formatValue(value) : value;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

/** Shortest text that reads back to the same float32 value. */
export function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  for (let digits = 6; digits < 10; digits++) {
    const s = v.toPrecision(digits);
    if (Math.fround(Number(s)) === Math.fround(v)) return String(Number(s));
  }
  return String(v);
}

/** A plain-text table with aligned columns. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

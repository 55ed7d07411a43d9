// model.summary(): a plain-text table, Keras-like.
export interface SummaryRow {
  name: string;
  type: string;
  outputShape: number[];
  params: number;
}

export function formatSummary(rows: SummaryRow[], inputShape: number[]): string {
  const table = [['Layer (type)', 'Output shape', 'Params'], ...rows.map((r) => [`${r.name} (${r.type})`, `[${r.outputShape.join(', ')}]`, String(r.params)])];
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: string[]) => `${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padStart(widths[2])}`;
  const rule = '-'.repeat(widths[0] + widths[1] + widths[2] + 4);
  const total = rows.reduce((a, r) => a + r.params, 0);
  return [`Input shape: [${inputShape.join(', ')}]`, rule, line(table[0]), rule, ...table.slice(1).map(line), rule, `Total params: ${total}`].join('\n');
}

// model.summary(): a plain-text table of the graph's layer applications, Keras-like: output
// shape, parameter count (once per layer, at its first application) and the inputs each reads.
// summaryRows gives the same rows as data (the HTML report's layer table).
import type { ModelGraph } from '../graph/graph';

export interface SummaryRow {
  /** The application's name ('dense_1', or 'dense_1_2' for a second application of a shared layer). */
  name: string;
  type: string;
  shape: number[];
  /** Counted at the layer's first application only. */
  params: number;
  inputs: string[];
}

export function summaryRows(g: ModelGraph): SummaryRow[] {
  const nIn = g.inputs.length;
  const valueName = (v: number) => (v < nIn ? g.inputs[v].name : g.nodes[v - nIn].name.split('/')[0]);
  // One row per layer application (the last backend node of each).
  const rows: SummaryRow[] = [];
  const counted = new Set<number>();
  g.nodes.forEach((n, j) => {
    const last = j === g.nodes.length - 1 || g.nodes[j + 1].name.split('/')[0] !== n.name.split('/')[0];
    if (!last) return;
    const layer = g.layers[n.layer];
    const first = !counted.has(n.layer);
    counted.add(n.layer);
    const params = first ? g.params.slice(layer.params[0], layer.params[0] + layer.params[1]).reduce((a, p) => a + p.size, 0) : 0;
    // The layer's inputs: the values its first backend node reads from outside the layer.
    const own = g.nodes.filter((m, k) => k <= j && m.name.split('/')[0] === n.name.split('/')[0]);
    rows.push({ name: n.name, type: layer.layer.type, shape: [...n.shape], params, inputs: [...new Set(own[0].inputs.map(valueName))] });
  });
  return rows;
}

export function formatSummary(g: ModelGraph, name?: string): string {
  const nIn = g.inputs.length;
  const rows = summaryRows(g).map((r) => [`${r.name} (${r.type})`, `[${r.shape.join(', ')}]`, String(r.params), r.inputs.join(', ')]);
  const table = [['Layer (type)', 'Output shape', 'Params', 'Inputs'], ...rows];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: string[]) => `${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padStart(widths[2])}  ${row[3]}`.trimEnd();
  const rule = '-'.repeat(widths[0] + widths[1] + widths[2] + widths[3] + 6);
  const total = g.params.reduce((a, p) => a + p.size, 0);
  const header =
    nIn === 1 ? `Input shape: [${g.inputs[0].shape.join(', ')}]` : `Inputs: ${g.inputs.map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ')}`;
  const lines = [...(name ? [`Model: ${name}`] : []), header, rule, line(table[0]), rule, ...table.slice(1).map(line), rule, `Total params: ${total}`];
  if (g.outputs.length > 1) lines.push(`Outputs: ${g.outputs.map((o) => o.name).join(', ')}`);
  return lines.join('\n');
}

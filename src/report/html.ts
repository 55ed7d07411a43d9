// The page: one HTML file with the data as JSON, uPlot and its CSS inlined, the drawing script
// (charts.ts) and the tables, which are plain HTML written here. Nothing is fetched when it opens.
import { CHARTS_SCRIPT } from './charts';
import type { ReportData } from './data';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside a <script> element (no '</script>' or '<!--' can form). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Inlined script text that cannot end its own <script> element early. */
function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

const CSS = `
:root { --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --card: #ffffff; --bg: #f1f5f9; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #0f172a; color: #f8fafc; padding: 28px 32px 24px; }
header h1 { margin: 0 0 4px; font-size: 24px; font-weight: 650; letter-spacing: -0.01em; }
header .sub { margin: 0 0 18px; color: #94a3b8; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; }
.stat { background: #1e293b; border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.stat .v { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.stat .k { color: #94a3b8; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
main { max-width: 1240px; margin: 0 auto; padding: 8px 24px 48px; }
section { margin-top: 28px; }
section > h2 { font-size: 18px; margin: 0 0 4px; }
section > p.note { margin: 0 0 12px; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin: 0; min-width: 0; }
.card > figcaption, .card > h3 { font-weight: 600; margin: 0 0 8px; font-size: 14px; }
.card .hint { color: var(--muted); font-weight: 400; }
.chart { width: 100%; }
table.t { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.t th, table.t td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); }
table.t th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; }
table.t td.num, table.t th.num { text-align: right; }
table.t tr.total td { font-weight: 650; border-top: 2px solid var(--line); }
table.t td.bar { background: linear-gradient(90deg, #3b82f6 calc(var(--v) * 100%), #e2e8f0 0) no-repeat; background-size: calc(100% - 20px) 3px; background-position: 10px calc(100% - 2px); }
table.t.facts td:first-child { width: 220px; color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 6px; text-align: center; font-size: 12px; }
.tile canvas { display: block; width: 84px; height: 84px; image-rendering: pixelated; border-radius: 3px; }
.tile .pair { display: flex; gap: 4px; }
.tile .lab { margin-top: 4px; color: var(--muted); }
.tile .lab b { color: #dc2626; }
.filters .tile canvas { width: 72px; height: 72px; }
.strip canvas { display: block; width: 100%; height: 16px; image-rendering: pixelated; }
.strip canvas + canvas { margin-top: 2px; }
.strip { margin-bottom: 8px; font-size: 12px; color: var(--muted); }
.heat text { font-size: 11px; font-variant-numeric: tabular-nums; }
.heat .axis { font-size: 12px; fill: #475569; font-weight: 600; }
.legend-scale { display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; margin-top: 6px; }
.legend-scale span.ramp { display: inline-block; width: 120px; height: 10px; border-radius: 2px; }
.two { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 16px; align-items: start; }
@media (max-width: 1000px) { .two { grid-template-columns: 1fr; } .grid { grid-template-columns: 1fr; } }
.uplot { font-family: inherit; }
.u-legend { font-size: 12px; }
`;

function table(head: string[], rows: string[][], numeric: boolean[], extraClass: (i: number) => string = () => ''): string {
  const th = head.map((h, c) => `<th${numeric[c] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r, i) => `<tr class="${extraClass(i)}">${r.map((cell, c) => `<td${numeric[c] ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="t"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function layerTable(d: ReportData): string {
  const rows = d.layers.map((l) => [
    `<span class="mono">${escapeHtml(l.name)}</span>`,
    escapeHtml(l.type),
    `<span class="mono">[${l.shape.join(', ')}]</span>`,
    l.params.toLocaleString('en-US'),
    escapeHtml(l.inputs.join(', ')),
  ]);
  rows.push(['Total', '', '', d.totalParams.toLocaleString('en-US'), '']);
  const inputs = d.inputs.map((i) => `<span class="mono">${escapeHtml(i.name)} [${i.shape.join(', ')}]</span>`).join(', ');
  return `<p class="note">Input: ${inputs}. Parameters are counted at a layer's first application.</p>${table(['layer', 'type', 'output shape', 'parameters', 'reads'], rows, [false, false, false, true, false], (i) => (i === rows.length - 1 ? 'total' : ''))}`;
}

function scoreTable(d: ReportData): string {
  const c = d.classifier!;
  const s = c.scores;
  const f = (v: number) => v.toFixed(3);
  const bar = (v: number) => `<td class="num bar" style="--v:${f(v)}">${f(v)}</td>`;
  const num = (v: string) => `<td class="num">${v}</td>`;
  const rows = c.classes.map(
    (name, k) => `<tr><td>${escapeHtml(name)}</td>${bar(s.precision[k])}${bar(s.recall[k])}${bar(s.f1[k])}${num(String(s.support[k]))}</tr>`,
  );
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / (a.length || 1);
  rows.push(`<tr class="total"><td>macro average</td>${num(f(mean(s.precision)))}${num(f(mean(s.recall)))}${num(f(mean(s.f1)))}${num(String(c.count))}</tr>`);
  const head = ['class', 'precision', 'recall', 'F1', 'support'].map((h, i) => `<th${i ? ' class="num"' : ''}>${h}</th>`).join('');
  return `<table class="t"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function testSection(d: ReportData): string {
  if (d.classifier) {
    const c = d.classifier;
    return `<section id="test"><h2>Test set</h2><p class="note">${c.count.toLocaleString('en-US')} samples, accuracy ${c.accuracy.toFixed(4)}, ${c.misclassified} misclassified.</p>
<div class="two"><figure class="card"><figcaption>Confusion matrix <span class="hint">(colour: share of the true class's row)</span></figcaption><div class="chart heat" data-draw="confusion"></div></figure>
<figure class="card"><figcaption>Per-class scores</figcaption>${scoreTable(d)}</figure></div></section>`;
  }
  if (d.regressor) {
    const r = d.regressor;
    const cards = r.columns
      .map(
        (col, i) =>
          `<figure class="card"><figcaption>${escapeHtml(col.name)}: predicted against true <span class="hint">(R² ${col.r2.toFixed(4)}, MAE ${col.mae.toPrecision(4)})</span></figcaption><div class="chart" data-draw="scatter" data-index="${i}"></div></figure>`,
      )
      .join('\n');
    return `<section id="test"><h2>Test set</h2><p class="note">${r.count.toLocaleString('en-US')} samples; the dashed line is a perfect prediction.</p><div class="grid">${cards}</div></section>`;
  }
  if (d.autoencoder) {
    const a = d.autoencoder;
    return `<section id="test"><h2>Test set: reconstructions</h2><p class="note">${a.count.toLocaleString('en-US')} samples, mean squared reconstruction error ${a.mse.toPrecision(4)}. The first ${a.samples.length} test samples: input, then its reconstruction.</p>
<div class="two"><figure class="card"><figcaption>Inputs and reconstructions</figcaption><div class="${a.imageShape ? 'gallery' : ''}" data-draw="reconstructions"></div></figure>
<figure class="card"><figcaption>Every reconstructed value against its input</figcaption><div class="chart" data-draw="scatter" data-index="autoencoder"></div></figure></div></section>`;
  }
  return '';
}

function picturesSections(d: ReportData): string {
  let out = '';
  const c = d.classifier;
  if (c?.imageShape && c.mistakes.length) {
    const shown = c.mistakes.length < c.misclassified ? `the ${c.mistakes.length} most confident of ${c.misclassified}` : `all ${c.misclassified}`;
    out += `<section id="mistakes"><h2>Misclassified test images</h2><p class="note">${shown}, as <i>true → <b>predicted</b></i> with the output for the predicted class.</p><div class="card"><div class="gallery" data-draw="mistakes"></div></div></section>`;
  }
  if (d.filters) {
    const f = d.filters;
    const scale =
      f.shape[2] === 3 ? 'colour, each filter stretched to its own range' : 'blue negative, white 0, red positive, each filter scaled to its largest weight';
    out += `<section id="filters"><h2>First convolution's filters</h2><p class="note"><span class="mono">${escapeHtml(f.layer)}</span>: ${f.images.length} filters of ${f.shape[0]}×${f.shape[1]} (${scale}).</p><div class="card filters"><div class="gallery" data-draw="filters"></div></div></section>`;
  }
  return out;
}

function trainingSection(d: ReportData): string {
  const cards = d.curves.charts.map(
    (c, i) =>
      `<figure class="card"><figcaption>${escapeHtml(c.title[0].toUpperCase() + c.title.slice(1))} per epoch</figcaption><div class="chart" data-draw="curve" data-index="${i}"></div></figure>`,
  );
  if (d.batches)
    cards.push(
      `<figure class="card"><figcaption>Loss per batch <span class="hint">(${d.batches.batches.toLocaleString('en-US')} batches${d.batches.per > 1 ? `, shown as means of ${d.batches.per}` : ''}; dark line: moving average)</span></figcaption><div class="chart" data-draw="batches"></div></figure>`,
    );
  if (d.curves.lr) cards.push(`<figure class="card"><figcaption>Learning rate per epoch</figcaption><div class="chart" data-draw="lr"></div></figure>`);
  const notes: string[] = [];
  if (d.curves.epochs.length === 0) notes.push('The history holds no epochs.');
  if (!d.batches) notes.push('No per-batch loss: add <code>trainingLog()</code> to the fit callbacks to record it.');
  const note = notes.length ? `<p class="note">${notes.join(' ')}</p>` : '';
  return `<section id="training"><h2>Training</h2>${note}<div class="grid">${cards.join('\n')}</div></section>`;
}

function subtitle(d: ReportData): string {
  const count = (n: number, what: string) => `${n} ${what}${n > 1 ? 's' : ''}`;
  if (d.kind === null) return `A model with ${count(d.inputs.length, 'input')} and ${count(d.outputs, 'output')}, trained with oxnet`;
  return `${d.kind === 'autoencoder' ? 'An' : 'A'} ${d.kind} trained with oxnet`;
}

export function renderReport(d: ReportData, uplot: { js: string; css: string; license?: string }): string {
  const stats = d.headline.map(([k, v]) => `<div class="stat"><div class="v">${escapeHtml(v)}</div><div class="k">${escapeHtml(k)}</div></div>`).join('');
  const facts = table(
    ['', ''],
    d.facts.map(([k, v]) => [escapeHtml(k), escapeHtml(v)]),
    [false, false],
  )
    .replace('<thead><tr><th></th><th></th></tr></thead>', '')
    .replace('<table class="t">', '<table class="t facts">');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(d.title)}</title>
<style>${uplot.css}</style>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(d.title)}</h1><p class="sub">${subtitle(d)} · ${escapeHtml(d.facts.find(([k]) => k === 'written')?.[1] ?? '')}</p><div class="stats">${stats}</div></header>
<main>
${trainingSection(d)}
${testSection(d)}
${picturesSections(d)}
<section id="model"><h2>Model</h2><div class="card">${layerTable(d)}</div></section>
<section id="run"><h2>Run</h2><div class="card">${facts}</div></section>
</main>
<script type="application/json" id="report-data">${scriptJson(d)}</script>
${uplot.license ? `<!-- uPlot, inlined from its npm package:\n${uplot.license.replace(/--/g, '- -').trim()}\n-->\n` : ''}<script>${scriptText(uplot.js)}</script>
<script>${scriptText(CHARTS_SCRIPT)}</script>
</body>
</html>
`;
}

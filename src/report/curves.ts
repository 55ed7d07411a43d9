// The History and the training log as the report's charts: one chart per quantity (loss,
// accuracy, ...) with its training, validation and test curves per epoch; the learning rate; each
// batch's loss on a fractional-epoch axis with a moving average.
import type { TrainingRecord } from '../training/trainingLog';

export interface Series {
  label: string;
  /** null: not logged in that epoch. */
  values: (number | null)[];
}

export interface CurveChart {
  /** The quantity as a title: 'loss', 'accuracy', 'kind_loss', ... */
  title: string;
  series: Series[];
}

export interface Curves {
  /** 1-based epoch numbers (the x axis). */
  epochs: number[];
  charts: CurveChart[];
  lr: number[] | null;
}

export interface BatchCurve {
  /** Fractional epochs: batch i of epoch e (of n) sits at e + (i + 1) / n. */
  x: number[];
  /** Each batch's loss, or with more than MAX_BATCH_POINTS batches the mean of each run of `per`. */
  loss: number[];
  /** Batches per point (1: every batch is shown). */
  per: number;
  /** Batches recorded. */
  batches: number;
  /** A centred moving average of the loss over about 2% of the batches. */
  smooth: number[];
}

const SPLITS = [
  { prefix: /^val(?=[A-Z])|^val_/, label: 'validation' },
  { prefix: /^test(?=[A-Z])|^test_/, label: 'test' },
];

const TITLES: Record<string, string> = { acc: 'accuracy', mse: 'mean squared error', misclassified: 'misclassified' };

/** A log key split into its quantity and which data it was measured on. */
export function splitKey(key: string): { quantity: string; split: string } {
  for (const s of SPLITS) {
    const m = s.prefix.exec(key);
    if (m) {
      const rest = key.slice(m[0].length);
      return { quantity: m[0].endsWith('_') ? rest : rest[0].toLowerCase() + rest.slice(1), split: s.label };
    }
  }
  return { quantity: key, split: 'training' };
}

export function historyCurves(epoch: number[], history: Record<string, ArrayLike<number>>): Curves {
  const charts = new Map<string, CurveChart>();
  let lr: number[] | null = null;
  const clean = (v: ArrayLike<number>) => Array.from({ length: epoch.length }, (_, i) => (i < v.length && Number.isFinite(v[i]) ? v[i] : null));
  for (const [key, values] of Object.entries(history)) {
    if (key === 'lr') {
      lr = clean(values).map((v) => v ?? Number.NaN);
      continue;
    }
    const { quantity, split } = splitKey(key);
    const title = TITLES[quantity] ?? quantity.replace(/_acc$/, '_accuracy');
    let chart = charts.get(title);
    if (!chart) {
      chart = { title, series: [] };
      charts.set(title, chart);
    }
    chart.series.push({ label: split, values: clean(values) });
  }
  // loss first, then the metrics in the order they were logged
  const ordered = [...charts.values()].sort((a, b) => Number(b.title === 'loss') - Number(a.title === 'loss'));
  for (const c of ordered) c.series.sort((a, b) => order(a.label) - order(b.label));
  return { epochs: epoch.map((e) => e + 1), charts: ordered, lr };
}

const order = (label: string) => ['training', 'validation', 'test'].indexOf(label);

export function batchCurve(r: TrainingRecord): BatchCurve | null {
  if (r.batchLoss.length === 0) return null;
  const x: number[] = [];
  let start = 0;
  const ends = [...r.epochEnds];
  if (ends.length === 0 || ends[ends.length - 1] < r.batchLoss.length) ends.push(r.batchLoss.length); // an epoch cut short
  ends.forEach((end, e) => {
    const n = end - start;
    for (let i = 0; i < n; i++) x.push(e + (i + 1) / n);
    start = end;
  });
  const n = r.batchLoss.length;
  const per = Math.ceil(n / MAX_BATCH_POINTS);
  const loss = per === 1 ? [...r.batchLoss] : bucketMeans(r.batchLoss, per);
  const at = per === 1 ? x : Array.from({ length: loss.length }, (_, i) => x[Math.min(n, (i + 1) * per) - 1]);
  return { x: at, loss, per, batches: n, smooth: movingAverage(loss, Math.max(1, Math.round(loss.length / 50))) };
}

/** More batches than this are shown as means of equal runs (the page stays small and quick). */
export const MAX_BATCH_POINTS = 5000;

function bucketMeans(v: number[], per: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i += per) {
    const end = Math.min(v.length, i + per);
    let s = 0;
    for (let j = i; j < end; j++) s += v[j];
    out.push(s / (end - i));
  }
  return out;
}

/** Centred moving average over 2 * half + 1 values (fewer at the ends). */
export function movingAverage(v: number[], half: number): number[] {
  const prefix = new Float64Array(v.length + 1);
  for (let i = 0; i < v.length; i++) prefix[i + 1] = prefix[i] + v[i];
  return v.map((_, i) => {
    const a = Math.max(0, i - half);
    const b = Math.min(v.length, i + half + 1);
    return (prefix[b] - prefix[a]) / (b - a);
  });
}

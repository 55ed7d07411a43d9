// One check for any layer, run by each layer's test: the layer inside a small model whose inputs
// pass through a linear dense layer first (so the layer's input gradient reaches parameters), a
// float64 gradient check of the whole model on the js backend (central differences, PyTorch's
// tolerances), and native against js on the same weights: outputs and gradients equal to float32
// rounding.
import { expect } from 'vitest';
import { input, type SymbolicTensor } from '../../src/graph/symbolic';
import { layers } from '../../src/layers';
import { gradCheck } from '../../src/model/gradcheck';
import { Model } from '../../src/model/model';
import { closeness, nativeOrNull } from './backends';
import { randomF32, seeded } from './random';

export interface LayerCase {
  /** Shapes of one sample of each input the layer under test reads. */
  shapes: number[][];
  /** The layer under test applied to those inputs. */
  apply: (xs: SymbolicTensor[]) => SymbolicTensor;
  samples?: number;
  seed?: number;
  /** Gradient-check tolerances (default PyTorch's). */
  atol?: number;
  rtol?: number;
}

const size = (s: number[]) => s.reduce((a, d) => a * d, 1);

/** The model around the layer: per input, dense (linear) then reshape; after it, flatten and dense 3. */
function harness(c: LayerCase, backend: 'native' | 'js'): Model {
  const ins = c.shapes.map((s, i) => input({ shape: [size(s)], name: `in_${i}` }));
  const pre = ins.map((x, i) => layers.reshape({ targetShape: c.shapes[i] }).apply(layers.dense({ units: size(c.shapes[i]), name: `pre_${i}` }).apply(x)));
  let y = c.apply(pre);
  if (y.shape.length > 1) y = layers.flatten().apply(y);
  const out = layers.dense({ units: 3, name: 'head' }).apply(y);
  const m = new Model({ inputs: ins, outputs: out, seed: c.seed ?? 5, backend });
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  return m;
}

function data(c: LayerCase) {
  const rng = seeded(c.seed ?? 5);
  const n = c.samples ?? 3;
  const xs = c.shapes.map((s) => randomF32(rng, n * size(s)));
  // One input goes in as its array: a list of one array would read as nested rows.
  return { x: xs.length === 1 ? xs[0] : xs, y: randomF32(rng, n * 3), n };
}

/** Runs both checks; returns the gradient-check report for tests that look further. */
export function checkLayer(c: LayerCase) {
  const d = data(c);
  const js = harness(c, 'js');
  const report = gradCheck(js, d.x, d.y, { atol: c.atol, rtol: c.rtol });
  const failed = report.tensors.filter((t) => !t.passed);
  expect(failed, JSON.stringify(failed)).toEqual([]);
  // The layer's input gradient is checked through the pre-dense kernels: they must receive one.
  const pre = report.tensors.filter((t) => t.name.startsWith('pre_'));
  expect(pre.length).toBe(2 * c.shapes.length);
  const g = js.computeGradients(d.x, d.y);
  pre.forEach((t) => {
    const grad = g.grads[g.names.indexOf(t.name)];
    expect(
      grad.some((v) => v !== 0),
      `${t.name} received no gradient`,
    ).toBe(true);
  });
  const { native } = nativeOrNull();
  if (native) {
    const nat = harness(c, 'native');
    nat.setWeights(js.getWeights());
    const pj = js.predict(d.x) as Float32Array;
    const pn = nat.predict(d.x) as Float32Array;
    expect(closeness(pn, pj, 1e-5, 1e-4)).toBeNull();
    const gn = nat.computeGradients(d.x, d.y);
    expect(gn.loss).toBeCloseTo(g.loss, 5);
    g.grads.forEach((gj, i) => {
      expect(closeness(gn.grads[i], gj, 1e-5, 1e-3), `native vs js gradient of ${g.names[i]}`).toBeNull();
    });
  }
  return report;
}

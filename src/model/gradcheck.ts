// gradCheck: a model's analytic gradients against central differences, in float64 on the js
// backend (the reference executor), with PyTorch gradcheck's defaults: eps 1e-6, and a gradient
// entry passes when |analytic - numeric| <= atol + rtol |numeric| (atol 1e-5, rtol 1e-3).
import { JsNetworkRunner } from '../backend/js/executor';
import type { FloatArray } from '../backend/spec';
import { OxnetError, showValue } from '../errors';
import { graphSpec } from '../graph/spec';
import type { Model } from './model';
import type { TensorLike } from './tensors';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Entries checked per tensor, spread evenly (default: all). */
  maxPerTensor?: number;
}

/** One parameter tensor's result. */
export interface TensorCheck {
  name: string;
  shape: number[];
  /** Entries compared. */
  checked: number;
  maxAbsError: number;
  /** Largest |analytic - numeric| / max(|numeric|, tiny). */
  maxRelError: number;
  /** Flat index of the entry with the largest |analytic - numeric|, -1 when nothing was checked. */
  worstIndex: number;
  analyticAtWorst: number;
  numericAtWorst: number;
  passed: boolean;
}

export interface GradCheckReport {
  passed: boolean;
  /** The batch's loss at the current weights (float64). */
  loss: number;
  tensors: TensorCheck[];
}

type Data = TensorLike | TensorLike[] | Record<string, TensorLike>;

function option(v: unknown, name: string, fallback: number, ok: (n: number) => boolean, rule: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new OxnetError('E_ARG', `gradCheck ${name} must be ${rule}, got ${showValue(v)}`);
  return v;
}

/**
 * Checks every parameter gradient of `model` (compiled) on the batch (x, y): the loss's central
 * difference (L(w + eps) - L(w - eps)) / 2 eps per entry against the analytic gradient, both in
 * float64 from the model's current weights. Training mode (dropout masks fixed at the model's
 * step, batch norm on the batch's statistics); the model itself is left untouched.
 */
export function gradCheck(model: Model, x: Data, y: Data, opts: GradCheckOptions = {}): GradCheckReport {
  if (!model || typeof model !== 'object' || !('compiled' in model))
    throw new OxnetError('E_ARG', `gradCheck: model must be an oxnet model, got ${showValue(model)}`);
  if (opts === null || typeof opts !== 'object') throw new OxnetError('E_ARG', `gradCheck options must be an object, got ${showValue(opts)}`);
  const compiled = model.compiled;
  if (!compiled) throw new OxnetError('E_STATE', 'gradCheck: compile the model first (it needs the loss)');
  const eps = option(opts.eps, 'eps', 1e-6, (v) => v > 0, 'a positive number');
  const atol = option(opts.atol, 'atol', 1e-5, (v) => v >= 0, 'a number >= 0');
  const rtol = option(opts.rtol, 'rtol', 1e-3, (v) => v >= 0, 'a number >= 0');
  const maxPer = option(opts.maxPerTensor, 'maxPerTensor', Infinity, (v) => v >= 1, 'a number >= 1');
  const p = model.prepare(x, y);
  if (p.n === 0) throw new OxnetError('E_ARG', 'gradCheck: x has no samples');
  const g = model.graph;
  const spec = graphSpec(g, compiled.outputs, compiled.optimizer, 0);
  const params = model.getWeights().map((w) => Float64Array.from(w));
  const state = model.getState().map((s) => Float64Array.from(s));
  const net = new JsNetworkRunner(spec, params, state, { dtype: 'float64' });
  const loss = (): number => {
    net.setState(state); // batch norm's running statistics do not enter a training loss; keep them fixed anyway
    return net.computeGradients(p.inputs, p.targets, p.n, model.step).loss;
  };
  const base = loss();
  const analytic = net.gradientsExact();
  const tensors = g.params.map((t, k): TensorCheck => {
    const w = params[k];
    const stride = Math.max(1, Math.ceil(w.length / maxPer));
    let checked = 0;
    let maxAbs = 0;
    let maxRel = 0;
    let worst = -1;
    let worstA = 0;
    let worstN = 0;
    let passed = true;
    for (let i = 0; i < w.length; i += stride) {
      const v = w[i];
      w[i] = v + eps;
      net.setParams(params);
      const plus = loss();
      w[i] = v - eps;
      net.setParams(params);
      const minus = loss();
      w[i] = v;
      const numeric = (plus - minus) / (2 * eps);
      const a = (analytic[k] as FloatArray)[i];
      const err = Math.abs(a - numeric);
      checked++;
      if (err > atol + rtol * Math.abs(numeric)) passed = false;
      if (worst < 0 || err > maxAbs) {
        maxAbs = err;
        worst = i;
        worstA = a;
        worstN = numeric;
      }
      maxRel = Math.max(maxRel, err / Math.max(Math.abs(numeric), 1e-300));
    }
    net.setParams(params);
    return {
      name: t.name,
      shape: [...t.shape],
      checked,
      maxAbsError: maxAbs,
      maxRelError: maxRel,
      worstIndex: worst,
      analyticAtWorst: worstA,
      numericAtWorst: worstN,
      passed,
    };
  });
  return { passed: tensors.every((t) => t.passed), loss: base, tensors };
}

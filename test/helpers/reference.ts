// A deliberately plain float64 reference of the network executor for MLPs (dense and activation
// layers), written from docs/kernels.md with the js kernels as building blocks, so the executors
// of both backends can be checked against the documented composition.
import type { ActivationSpec, OptimizerSpec } from '../../src/backend/types';
import { jsBackend as js } from '../../src/backend/js';
import type { ChainLayer, ChainSpec } from './chain';

type MlpLayer = Extract<ChainLayer, { type: 'dense' | 'activation' }>;

export interface ReferenceResult {
  params: Float32Array[];
  losses: number[];
  correct: number[];
}

function optimizerSlots(opt: OptimizerSpec): number {
  if (opt.kind === 'adam') return 2;
  return (opt.momentum ?? 0) > 0 ? 1 : 0;
}

function lastActivation(layer: MlpLayer): ActivationSpec {
  return layer.activation;
}

export function referenceTrain(
  spec: ChainSpec,
  initial: Float32Array[],
  x: Float32Array,
  y: Float32Array,
  order: Uint32Array,
  batchSize: number,
  lr: number,
  step: number,
): ReferenceResult {
  const layers = spec.layers as MlpLayer[];
  const params = initial.map((p) => p.slice());
  const state = params.map((p) => Array.from({ length: optimizerSlots(spec.optimizer) }, () => new Float32Array(p.length)));
  const inSize = spec.inputSize;
  const last = layers[layers.length - 1];
  const outSize = last.type === 'dense' ? last.units : last.size;
  const losses: number[] = [];
  const correct: number[] = [];
  for (let start = 0, bi = 0; start < order.length; start += batchSize, bi++) {
    const n = Math.min(batchSize, order.length - start);
    const xb = new Float64Array(n * inSize);
    const tb = new Float64Array(n * outSize);
    for (let r = 0; r < n; r++) {
      const s = order[start + r];
      for (let i = 0; i < inSize; i++) xb[r * inSize + i] = x[s * inSize + i];
      for (let k = 0; k < outSize; k++) tb[r * outSize + k] = y[s * outSize + k];
    }
    // Forward, keeping each layer's input, pre-activation and output.
    const inputs: Float64Array[] = [];
    const pres: Float64Array[] = [];
    const outs: Float64Array[] = [];
    let h: Float64Array = xb;
    let pi = 0;
    for (const layer of layers) {
      inputs.push(h);
      let pre: Float64Array;
      let width: number;
      if (layer.type === 'dense') {
        const w = Float64Array.from(params[pi]);
        const b = layer.useBias ? Float64Array.from(params[pi + 1]) : null;
        pi += layer.useBias ? 2 : 1;
        pre = js.denseForward(h, w, b, n, layer.inputs, layer.units);
        width = layer.units;
      } else {
        pre = h;
        width = layer.width ?? layer.size;
      }
      pres.push(pre);
      h = js.activationForward(layer.activation, pre, width);
      outs.push(h);
    }
    // Loss per the pairing rules.
    const act = lastActivation(last);
    const a = pres[pres.length - 1];
    const kind = spec.loss.kind;
    let lossValue: number;
    let grad: Float64Array;
    const fromLogits = kind === 'softmaxCrossEntropy' || kind === 'binaryCrossEntropy' || kind === 'perceptron';
    if (kind === 'binaryCrossEntropy') {
      const beta = act.kind === 'sigmoid' ? (act.beta ?? 1) : 1;
      const r = js.loss(
        spec.loss,
        a.map((v) => beta * v),
        tb,
        n,
        outSize,
      );
      lossValue = r.loss;
      grad = r.grad.map((g) => g * beta);
    } else if (fromLogits) {
      ({ loss: lossValue, grad } = js.loss(spec.loss, a, tb, n, outSize));
    } else {
      ({ loss: lossValue, grad } = js.loss(spec.loss, h, tb, n, outSize));
    }
    losses.push(lossValue);
    correct.push(countCorrect(h, tb, n, outSize));
    // Backward.
    const grads: Float64Array[] = [];
    let g: Float64Array = grad;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l];
      const width = layer.type === 'dense' ? layer.units : (layer.width ?? layer.size);
      const dpre = fromLogits && l === layers.length - 1 ? g : js.activationBackward(layer.activation, pres[l], outs[l], g, width);
      if (layer.type === 'dense') {
        pi -= layer.useBias ? 2 : 1;
        const { dx, dw, db } = js.denseBackward(inputs[l], Float64Array.from(params[pi]), dpre, n, layer.inputs, layer.units);
        grads.unshift(...(layer.useBias ? [dw, db] : [dw]));
        g = dx;
      } else {
        g = dpre;
      }
    }
    params.forEach((p, i) => {
      js.optimizerStep({ ...spec.optimizer, lr }, p, Float32Array.from(grads[i]), state[i], step + bi + 1);
    });
  }
  return { params, losses, correct };
}

function countCorrect(out: Float64Array, t: Float64Array, n: number, width: number): number {
  let c = 0;
  for (let r = 0; r < n; r++) {
    if (width === 1) {
      if (out[r] >= 0.5 === t[r] >= 0.5) c++;
      continue;
    }
    let bo = 0;
    let bt = 0;
    for (let k = 1; k < width; k++) {
      if (out[r * width + k] > out[r * width + bo]) bo = k;
      if (t[r * width + k] > t[r * width + bt]) bt = k;
    }
    if (bo === bt) c++;
  }
  return c;
}

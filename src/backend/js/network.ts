// The js network executor (docs/kernels.md "Network executor"): a stack of js layers, the loss,
// the optimizer and its state. Batch buffers are kept and reused across batches and calls.
import type { ActivationSpec, Dataset, EpochPlan, EpochStats, NetworkRunner, NetworkSpec, TrainStats } from '../types';
import { OxnetError } from '../../errors';
import { checkInt, checkLength } from './check';
import { JsDataset } from './dataset';
import { shuffledIndices } from './rng';
import { checkLoss, lossInto } from './loss';
import { applyOptimizer, resolveOptimizer, stateSlots } from './optimizer';
import { ScratchBuffer } from './layers/buffer';
import { createLayer, type JsLayer } from './layers';

/** Which last-layer activations each from-logits loss accepts (others: any). */
const LOGIT_PAIRS: Record<string, ActivationSpec['kind'][]> = {
  softmaxCrossEntropy: ['softmax', 'linear'],
  binaryCrossEntropy: ['sigmoid', 'linear'],
  perceptron: ['step', 'linear'],
};

/** Inference runs in chunks of this many samples, so huge inputs do not grow layer buffers. */
const PREDICT_CHUNK = 512;

export class JsNetworkRunner implements NetworkRunner {
  private readonly layers: JsLayer[];
  private readonly params: Float32Array[];
  private readonly grads: Float32Array[];
  private readonly optState: Float32Array[][];
  private readonly outputSize: number;
  private readonly lastActivation: ActivationSpec;
  private readonly fromLogits: boolean;
  private readonly xBuf = new ScratchBuffer();
  private readonly tBuf = new ScratchBuffer();
  private readonly gradBuf = new ScratchBuffer();
  private readonly logitBuf = new ScratchBuffer();

  constructor(
    private readonly spec: NetworkSpec,
    params: Float32Array[],
  ) {
    checkInt('inputSize', spec.inputSize);
    if (!Array.isArray(spec.layers) || spec.layers.length === 0) {
      throw new OxnetError('E_CONFIG', 'network needs at least one layer');
    }
    checkLoss(spec.loss);
    const opt = resolveOptimizer(spec.optimizer);
    if (!Number.isFinite(spec.seed)) throw new OxnetError('E_ARG', `seed must be finite, got ${spec.seed}`);
    if (spec.clipNorm !== undefined && !(typeof spec.clipNorm === 'number' && Number.isFinite(spec.clipNorm) && spec.clipNorm > 0)) {
      throw new OxnetError('E_ARG', `network: clipNorm must be a finite number > 0, got ${spec.clipNorm}`);
    }
    this.layers = spec.layers.map((layerSpec, index) => createLayer(layerSpec, { index, network: spec }));
    let size = spec.inputSize;
    this.layers.forEach((layer, i) => {
      if (layer.inputSize !== size) {
        throw new OxnetError('E_CONFIG', `layer ${i} (${spec.layers[i].type}) takes ${layer.inputSize} inputs but receives ${size}`);
      }
      size = layer.outputSize;
    });
    this.outputSize = size;
    const last = this.layers[this.layers.length - 1];
    this.lastActivation = last.activation ?? { kind: 'linear' };
    const allowed = LOGIT_PAIRS[spec.loss.kind];
    this.fromLogits = allowed !== undefined;
    if (allowed && !allowed.includes(this.lastActivation.kind)) {
      throw new OxnetError('E_CONFIG', `loss '${spec.loss.kind}' needs a last activation in [${allowed.join(', ')}], got '${this.lastActivation.kind}'`);
    }
    this.params = this.layers.flatMap((l) => l.params);
    this.grads = this.layers.flatMap((l) => l.grads);
    const slots = stateSlots(opt);
    this.optState = this.params.map((p) => Array.from({ length: slots }, () => new Float32Array(p.length)));
    this.setParams(params);
  }

  train(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): Promise<TrainStats> {
    return new Promise((resolve) => resolve(this.trainSync(data, order, batchSize, lr, step)));
  }

  trainSync(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): TrainStats {
    const ds = this.checkDataset(data);
    checkInt('batchSize', batchSize);
    checkInt('step', step, 0);
    for (let i = 0; i < order.length; i++) {
      if (order[i] >= ds.count) throw new OxnetError('E_ARG', `order[${i}] = ${order[i]} is out of range for a dataset of ${ds.count}`);
    }
    const opt = resolveOptimizer(this.spec.optimizer, lr);
    const batches = Math.ceil(order.length / batchSize);
    const losses = new Float64Array(batches);
    const correct = new Float64Array(batches);
    for (let bi = 0; bi < batches; bi++) {
      const start = bi * batchSize;
      const n = Math.min(batchSize, order.length - start);
      const x = this.gather(ds.x, ds.inputSize, order, start, n, this.xBuf);
      const t = this.gather(ds.y, ds.targetSize, order, start, n, this.tBuf);
      const out = this.forward(x, n, this.layers.length - 1, true, step + bi);
      const batchLoss = this.lossAndBackward(out, t, n);
      losses[bi] = batchLoss;
      correct[bi] = countCorrect(out, t, n, this.outputSize);
      if (!Number.isFinite(batchLoss) || !this.gradsFinite()) {
        return { losses: losses.subarray(0, bi + 1), correct: correct.subarray(0, bi + 1), nonFiniteBatch: bi };
      }
      if (this.spec.clipNorm !== undefined) clipGlobalNorm(this.grads, this.spec.clipNorm);
      for (let p = 0; p < this.params.length; p++) {
        applyOptimizer(opt, this.params[p], this.grads[p], this.optState[p], step + bi + 1);
      }
    }
    return { losses, correct, nonFiniteBatch: -1 };
  }

  trainEpochs(data: Dataset, plan: EpochPlan): Promise<EpochStats> {
    return new Promise((resolve) => resolve(this.trainEpochsSync(data, plan)));
  }

  /** Epoch after epoch of trainSync, with the epoch means and the early stop of EpochPlan. */
  trainEpochsSync(data: Dataset, plan: EpochPlan): EpochStats {
    const ds = this.checkDataset(data);
    if (plan === null || typeof plan !== 'object') throw new OxnetError('E_ARG', 'trainEpochs: plan must be an object');
    const { epochs, batchSize, shuffleSeeds, orders, stopBelow } = plan;
    checkInt('epochs', epochs, 0);
    checkInt('batchSize', batchSize);
    const count = ds.count;
    if (shuffleSeeds !== undefined && orders !== undefined) throw new OxnetError('E_ARG', 'trainEpochs: give shuffleSeeds or orders, not both');
    if (shuffleSeeds !== undefined) checkLength('shuffleSeeds', shuffleSeeds, epochs, 'epochs');
    if (orders !== undefined) checkLength('orders', orders, epochs * count, `epochs*count = ${epochs}*${count}`);
    const batches = Math.ceil(count / batchSize);
    const losses: number[] = [];
    const correct: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const order = shuffleSeeds ? shuffledIndices(count, shuffleSeeds[e]) : orders ? orders.subarray(e * count, (e + 1) * count) : identityOrder(count);
      const stats = this.trainSync(ds, order, batchSize, plan.lr, plan.step + e * batches);
      if (stats.nonFiniteBatch >= 0) {
        return { losses: Float64Array.from(losses), correct: Float64Array.from(correct), epochs: e, nonFiniteBatch: stats.nonFiniteBatch };
      }
      let lossSum = 0;
      let correctSum = 0;
      for (let b = 0; b < stats.losses.length; b++) {
        lossSum += stats.losses[b] * Math.min(batchSize, count - b * batchSize);
        correctSum += stats.correct[b];
      }
      losses.push(lossSum / count);
      correct.push(correctSum);
      if (stopBelow !== undefined && lossSum / count < stopBelow) break;
    }
    return { losses: Float64Array.from(losses), correct: Float64Array.from(correct), epochs: losses.length, nonFiniteBatch: -1 };
  }

  predict(x: Float32Array, n: number): Float32Array {
    return this.predictUpTo(x, n, this.layers.length - 1);
  }

  predictAsync(x: Float32Array, n: number): Promise<Float32Array> {
    return new Promise((resolve) => resolve(this.predict(x, n)));
  }

  predictUpTo(x: Float32Array, n: number, layerIndex: number): Float32Array {
    if (!(x instanceof Float32Array)) throw new OxnetError('E_ARG', `predict: x must be a Float32Array, got ${x === null ? 'null' : typeof x}`);
    checkInt('n', n);
    checkLength('x', x, n * this.spec.inputSize, `n*inputSize = ${n}*${this.spec.inputSize}`);
    checkInt('layerIndex', layerIndex, 0);
    if (layerIndex >= this.layers.length) {
      throw new OxnetError('E_ARG', `layerIndex must be < ${this.layers.length} (layer count), got ${layerIndex}`);
    }
    const inSize = this.spec.inputSize;
    const outSize = this.layers[layerIndex].outputSize;
    const result = new Float32Array(n * outSize);
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - start);
      const out = this.forward(x.subarray(start * inSize, (start + m) * inSize), m, layerIndex, false, 0);
      result.set(out.subarray(0, m * outSize), start * outSize);
    }
    return result;
  }

  getParams(): Float32Array[] {
    return this.params.map((p) => p.slice());
  }

  setParams(params: Float32Array[]): void {
    checkArrayList('params', params);
    copyInto('params', params, this.params);
  }

  getState(): Float32Array[] {
    return this.layers.flatMap((l) => l.state.map((s) => s.slice()));
  }

  setState(state: Float32Array[]): void {
    checkArrayList('state', state);
    copyInto(
      'state',
      state,
      this.layers.flatMap((l) => l.state),
    );
  }

  resetOptimizer(): void {
    for (const slots of this.optState) for (const s of slots) s.fill(0);
  }

  private checkDataset(data: Dataset): JsDataset {
    if (!(data instanceof JsDataset)) {
      throw new OxnetError('E_ARG', 'data must be a Dataset created by this backend (jsBackend.createDataset)');
    }
    if (data.inputSize !== this.spec.inputSize) {
      throw new OxnetError('E_SHAPE', `dataset inputSize ${data.inputSize} does not match the network's inputSize ${this.spec.inputSize}`);
    }
    if (data.targetSize !== this.outputSize) {
      throw new OxnetError('E_SHAPE', `dataset targetSize ${data.targetSize} does not match the network's output size ${this.outputSize}`);
    }
    return data;
  }

  private gather(src: Float32Array, width: number, order: Uint32Array, start: number, n: number, buf: ScratchBuffer): Float32Array {
    const out = buf.view(n * width);
    for (let r = 0; r < n; r++) {
      const from = order[start + r] * width;
      out.set(src.subarray(from, from + width), r * width);
    }
    return out;
  }

  /** Runs layers 0..lastLayer; returns the last one's output view. */
  private forward(x: Float32Array, n: number, lastLayer: number, training: boolean, step: number): Float32Array {
    const ctx = { training, step };
    let h = x;
    for (let l = 0; l <= lastLayer; l++) h = this.layers[l].forward(h, n, ctx);
    return h;
  }

  /** The loss per docs/kernels.md (from-logits losses on the pre-activation), then backward. */
  private lossAndBackward(out: Float32Array, t: Float32Array, n: number): number {
    const lastIndex = this.layers.length - 1;
    const last = this.layers[lastIndex];
    const width = this.outputSize;
    const grad = this.gradBuf.view(n * width);
    let value: number;
    if (!this.fromLogits) {
      value = lossInto(this.spec.loss, out, t, grad, n, width);
    } else if (this.spec.loss.kind === 'binaryCrossEntropy' && (this.lastActivation.beta ?? 1) !== 1 && this.lastActivation.kind === 'sigmoid') {
      // z = beta a; dL/da = beta dL/dz.
      const beta = this.lastActivation.beta as number;
      const a = last.preActivation();
      const z = this.logitBuf.view(n * width);
      for (let i = 0; i < z.length; i++) z[i] = beta * a[i];
      value = lossInto(this.spec.loss, z, t, grad, n, width);
      for (let i = 0; i < grad.length; i++) grad[i] *= beta;
    } else {
      value = lossInto(this.spec.loss, last.preActivation(), t, grad, n, width);
    }
    let g: Float32Array | null = grad;
    for (let l = lastIndex; l >= 0 && g; l--) {
      g = this.layers[l].backward(g, n, this.fromLogits && l === lastIndex, l > 0);
    }
    return value;
  }

  private gradsFinite(): boolean {
    for (const g of this.grads) {
      for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i])) return false;
    }
    return true;
  }
}

/** 0, 1, ..., count - 1. */
function identityOrder(count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => i);
}

/** width > 1: argmax match; width 1: both sides of 0.5 agree (docs/kernels.md). */
function countCorrect(out: Float32Array, t: Float32Array, n: number, width: number): number {
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const row = r * width;
    if (width === 1) {
      if (out[row] >= 0.5 === t[row] >= 0.5) correct++;
      continue;
    }
    let bestOut = 0;
    let bestT = 0;
    for (let k = 1; k < width; k++) {
      if (out[row + k] > out[row + bestOut]) bestOut = k;
      if (t[row + k] > t[row + bestT]) bestT = k;
    }
    if (bestOut === bestT) correct++;
  }
  return correct;
}

function copyInto(name: string, src: Float32Array[], dst: Float32Array[]): void {
  if (!Array.isArray(src) || src.length !== dst.length) {
    throw new OxnetError('E_SHAPE', `${name} must be an array of ${dst.length} arrays, got ${Array.isArray(src) ? src.length : typeof src}`);
  }
  src.forEach((s, i) => {
    checkLength(`${name}[${i}]`, s, dst[i].length, `${dst[i].length}`);
  });
  src.forEach((s, i) => {
    dst[i].set(s);
  });
}

function checkArrayList(name: string, list: unknown): void {
  if (!Array.isArray(list) || list.some((a) => !(a instanceof Float32Array))) {
    throw new OxnetError('E_ARG', `${name} must be an array of Float32Array`);
  }
}

/** Scales all gradients by maxNorm / ||g|| when the global L2 norm exceeds maxNorm (docs/kernels.md). */
function clipGlobalNorm(grads: Float32Array[], maxNorm: number): void {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
}

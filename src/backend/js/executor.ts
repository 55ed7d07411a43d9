// The js graph executor, the twin of crates/oxnet-core/src/executor.rs (docs/kernels.md "Network
// executor"): nodes forward in order, the losses of the outputs, then backward in reverse order.
// A value read by several nodes receives the sum of their gradients and a layer applied twice sums
// its parameter gradients: the first writer of a gradient overwrites it, later ones write into a
// scratch that is added in. Values share buffers by liveness (plan.ts). It computes in float32, or
// in float64 for gradient checks (every buffer, parameter and gradient then Float64Array).
import { OxnetError, showValue } from '../../errors';
import { shuffledIndices } from '../../random';
import type { FloatArray } from '../spec';
import type {
  CorrectRule,
  Dataset,
  EpochPlan,
  EpochStats,
  EvalStats,
  GradientStats,
  GraphSpec,
  MemoryReport,
  NetworkRunner,
  OutputSpec,
  TrainStats,
} from '../types';
import { checkInt, checkLength } from './check';
import { JsDataset } from './dataset';
import { checkLoss, lossInto } from './loss';
import { type JsOp, buildOp } from './ops';
import { applyOptimizer, resolveOptimizer, stateSlots } from './optimizer';
import { assign, floatsPerSample, type Life, naiveFloatsPerSample, type Plan } from './plan';

/** Inference runs in chunks of this many samples, so huge inputs do not grow the buffers. */
const PREDICT_CHUNK = 512;

export type Dtype = 'float32' | 'float64';

interface NodeRt {
  name: string;
  value: number;
  size: number;
  inputs: number[];
  inputSizes: number[];
  params: number[];
  state: number[];
  backward: boolean;
  needDx: boolean[];
  firstDx: boolean[];
  ownsGrads: boolean;
  fromPre: boolean;
  /** Its own gradient buffers when it does not own its layer's (a layer applied twice). */
  sharedGrads: FloatArray[];
}

interface OutputRt extends OutputSpec {
  size: number;
  producer: number;
  first: boolean;
}

export class JsNetworkRunner implements NetworkRunner {
  readonly dtype: Dtype;
  private readonly ops: JsOp[] = [];
  private readonly nodes: NodeRt[] = [];
  private readonly outputs: OutputRt[];
  private readonly params: FloatArray[];
  private readonly grads: FloatArray[];
  private readonly optState: Float32Array[][];
  private readonly state: FloatArray[];
  private readonly trainPlan: Plan;
  private readonly inferPlan: Plan;
  private readonly gradPlan: Plan;
  private readonly memoryReport: MemoryReport;
  private readonly bufs: FloatArray[];
  private readonly gbufs: FloatArray[];
  private readonly scratch: FloatArray[] = [];
  private readonly seed: number;
  private readonly paramIsFloat32: boolean;

  constructor(
    private readonly spec: GraphSpec,
    params: FloatArray[],
    state: FloatArray[],
    opts: { dtype?: Dtype } = {},
  ) {
    this.dtype = opts.dtype ?? 'float32';
    checkSpec(spec);
    const make = (n: number): FloatArray => (this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
    this.paramIsFloat32 = this.dtype === 'float32';
    const pSizes = spec.params.map((p) => p.size);
    const sSizes = spec.state.map((s) => s.size);
    checkArrays('createNetwork', 'params', params, pSizes);
    checkArrays('createNetwork', 'state', state, sSizes);
    this.params = pSizes.map((s, i) => {
      const p = make(s);
      p.set(params[i]);
      return p;
    });
    this.state = sSizes.map((s, i) => {
      const t = make(s);
      t.set(state[i]);
      return t;
    });
    this.grads = pSizes.map(make);
    const opt = resolveOptimizer(spec.optimizer);
    this.optState = pSizes.map((s) => Array.from({ length: stateSlots(opt) }, () => new Float32Array(s)));
    this.seed = spec.seed >>> 0;
    const nIn = spec.inputs.length;
    const valueSize = (v: number) => (v < nIn ? spec.inputs[v].size : spec.nodes[v - nIn].size);
    const requiresGrad = new Array(nIn + spec.nodes.length).fill(false);
    spec.nodes.forEach((n, j) => {
      const inputSizes = n.inputs.map(valueSize);
      const shape = { name: n.name, inputs: inputSizes, output: n.size, params: n.params.map((p) => pSizes[p]), state: n.state.map((s) => sSizes[s]) };
      this.ops.push(buildOp(n.op, shape));
      const needDx = n.inputs.map((v) => requiresGrad[v]);
      const backward = n.params.length > 0 || needDx.some(Boolean);
      requiresGrad[nIn + j] = backward;
      this.nodes.push({
        name: n.name,
        value: nIn + j,
        size: n.size,
        inputs: [...n.inputs],
        inputSizes,
        params: [...n.params],
        state: [...n.state],
        backward,
        needDx,
        firstDx: n.inputs.map(() => false),
        ownsGrads: false,
        fromPre: false,
        sharedGrads: [],
      });
    });
    this.outputs = spec.outputs.map((o) => ({ ...o, size: valueSize(o.value), producer: o.value - nIn, first: false }));
    for (const o of this.outputs) if (o.fromLogits) this.nodes[o.producer].fromPre = true;
    spec.nodes.forEach((n, j) => {
      const v = nIn + j;
      const read = spec.nodes.slice(j + 1).some((m) => m.inputs.includes(v)) || this.outputs.some((o) => o.value === v);
      if (!read) throw new OxnetError('E_CONFIG', `graph: node '${n.name}' feeds no node and no output`);
    });
    const written = new Array(requiresGrad.length).fill(false);
    for (const o of this.outputs) {
      o.first = !written[o.value];
      written[o.value] = true;
    }
    for (let j = this.nodes.length - 1; j >= 0; j--) {
      const node = this.nodes[j];
      node.inputs.forEach((v, k) => {
        if (!node.needDx[k]) return;
        node.firstDx[k] = !written[v];
        written[v] = true;
      });
    }
    const owned = new Array(pSizes.length).fill(false);
    for (let j = this.nodes.length - 1; j >= 0; j--) {
      const node = this.nodes[j];
      if (node.params.length === 0) continue;
      node.ownsGrads = !owned[node.params[0]];
      owned[node.params[0]] = true;
      if (!node.ownsGrads) node.sharedGrads = node.params.map((p) => make(pSizes[p]));
    }
    const { train, infer, grad } = this.lives(valueSize, requiresGrad);
    this.trainPlan = assign(train);
    this.inferPlan = assign(infer);
    this.gradPlan = assign(grad);
    this.memoryReport = {
      training: floatsPerSample(this.trainPlan),
      trainingNaive: naiveFloatsPerSample(train),
      gradients: floatsPerSample(this.gradPlan),
      gradientsNaive: naiveFloatsPerSample(grad),
      inference: floatsPerSample(this.inferPlan),
      inferenceNaive: naiveFloatsPerSample(infer),
    };
    this.bufs = Array.from({ length: Math.max(this.trainPlan.sizes.length, this.inferPlan.sizes.length) }, () => make(0));
    this.gbufs = this.gradPlan.sizes.map(() => make(0));
  }

  /** The plans' lives (see executor.rs `lives`). */
  private lives(valueSize: (v: number) => number, requiresGrad: boolean[]) {
    const nIn = this.spec.inputs.length;
    const n = this.nodes.length;
    const born = (v: number) => (v < nIn ? -1 : v - nIn);
    const train: (Life | null)[] = requiresGrad.map((_, v) => ({ from: born(v), to: born(v), size: valueSize(v) }));
    const infer: (Life | null)[] = train.map((l) => ({ ...l! }));
    const extend = (lives: (Life | null)[], v: number, t: number) => {
      const l = lives[v];
      if (l) l.to = Math.max(l.to, t);
    };
    this.nodes.forEach((node, j) => {
      const reads = this.ops[j].reads;
      for (const v of node.inputs) {
        extend(train, v, j);
        extend(infer, v, j);
        if (node.backward && reads.inputs) extend(train, v, 2 * n - j);
      }
      if (node.backward && reads.output) extend(train, node.value, 2 * n - j);
    });
    for (const o of this.outputs) {
      extend(train, o.value, n);
      extend(infer, o.value, n);
      if (o.fromLogits) {
        for (const v of this.nodes[o.producer].inputs) {
          extend(train, v, n);
          extend(infer, v, n);
        }
      }
    }
    const grad: (Life | null)[] = requiresGrad.map(() => null);
    for (const o of this.outputs) if (requiresGrad[o.value]) grad[o.value] = { from: 0, to: 0, size: valueSize(o.value) };
    for (let j = n - 1; j >= 0; j--) {
      const node = this.nodes[j];
      const t = n - j;
      const own = grad[node.value];
      if (own) own.to = Math.max(own.to, t);
      node.inputs.forEach((v, k) => {
        if (!node.needDx[k]) return;
        grad[v] ??= { from: t, to: t, size: valueSize(v) };
        grad[v].from = Math.min(grad[v].from, t);
      });
    }
    return { train, infer, grad };
  }

  memory(): MemoryReport {
    return { ...this.memoryReport };
  }

  train(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): Promise<TrainStats> {
    return new Promise((resolve) => resolve(this.trainSync(data, order, batchSize, lr, step)));
  }

  trainSync(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): TrainStats {
    const ds = this.checkDataset(data);
    checkInt('batchSize', batchSize);
    checkInt('step', step, 0);
    if (!Number.isFinite(lr)) throw new OxnetError('E_ARG', `train: lr must be finite, got ${lr}`);
    checkOrder(order, ds.count);
    const batches = Math.ceil(order.length / batchSize);
    const k = this.outputs.length;
    const losses = new Float64Array(batches);
    const outputLosses = new Float64Array(batches * k);
    const correct = new Float64Array(batches * k);
    for (let bi = 0; bi < batches; bi++) {
      const start = bi * batchSize;
      const n = Math.min(batchSize, order.length - start);
      const stats = this.trainBatch(ds, order, start, n, step + bi, lr);
      losses[bi] = stats.loss;
      outputLosses.set(stats.outputLosses, bi * k);
      correct.set(stats.correct, bi * k);
      if (!stats.finite) {
        return {
          losses: losses.subarray(0, bi + 1),
          outputLosses: outputLosses.subarray(0, (bi + 1) * k),
          correct: correct.subarray(0, (bi + 1) * k),
          nonFiniteBatch: bi,
        };
      }
    }
    return { losses, outputLosses, correct, nonFiniteBatch: -1 };
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
    checkInt('step', plan.step, 0); // before plan.step + e * batches (a BigInt threw a TypeError there)
    const count = ds.count;
    if (shuffleSeeds !== undefined && orders !== undefined) throw new OxnetError('E_ARG', 'trainEpochs: give shuffleSeeds or orders, not both');
    if (shuffleSeeds !== undefined) checkLength('shuffleSeeds', shuffleSeeds, epochs, 'epochs');
    if (orders !== undefined) checkLength('orders', orders, epochs * count, `epochs*count = ${epochs}*${count}`);
    const batches = Math.ceil(count / batchSize);
    const k = this.outputs.length;
    const losses: number[] = [];
    const outputLosses: number[] = [];
    const correct: number[] = [];
    const done = (e: number, bad: number): EpochStats => ({
      losses: Float64Array.from(losses),
      outputLosses: Float64Array.from(outputLosses),
      correct: Float64Array.from(correct),
      epochs: e,
      nonFiniteBatch: bad,
    });
    for (let e = 0; e < epochs; e++) {
      const order = shuffleSeeds
        ? shuffledIndices(count, shuffleSeeds[e])
        : orders
          ? orders.subarray(e * count, (e + 1) * count)
          : Uint32Array.from({ length: count }, (_, i) => i);
      const stats = this.trainSync(ds, order, batchSize, plan.lr, plan.step + e * batches);
      if (stats.nonFiniteBatch >= 0) return done(e, stats.nonFiniteBatch);
      let lossSum = 0;
      const outSums = new Float64Array(k);
      const correctSums = new Float64Array(k);
      for (let b = 0; b < stats.losses.length; b++) {
        const size = Math.min(batchSize, count - b * batchSize);
        lossSum += stats.losses[b] * size;
        for (let o = 0; o < k; o++) {
          outSums[o] += stats.outputLosses[b * k + o] * size;
          correctSums[o] += stats.correct[b * k + o];
        }
      }
      losses.push(lossSum / count);
      for (let o = 0; o < k; o++) outputLosses.push(outSums[o] / count);
      correct.push(...correctSums);
      if (stopBelow !== undefined && lossSum / count < stopBelow) break;
    }
    return done(losses.length, -1);
  }

  computeGradients(inputs: Float32Array[], targets: Float32Array[], n: number, step: number): GradientStats {
    this.checkArrays('computeGradients', inputs, targets, n);
    checkInt('step', step, 0);
    inputs.forEach((x, i) => {
      this.view(this.bufs, this.trainPlan.buffer[i], x.length).set(x);
    });
    this.targets = targets.map((t) => (this.dtype === 'float64' ? Float64Array.from(t) : t));
    this.forward(n, true, step, this.nodes.length - 1);
    return this.lossAndBackward(n, step, this.targets);
  }

  /** Targets of the batch being trained (computeGradients' copies or a gather's). */
  private targets: FloatArray[] = [];

  getGradients(): Float32Array[] {
    return this.grads.map((g) => Float32Array.from(g));
  }

  /** The gradients as the executor holds them (Float64Array in float64 mode): gradient checks. */
  gradientsExact(): FloatArray[] {
    return this.grads.map((g) => g.slice());
  }

  applyGradients(grads: Float32Array[] | null, lr: number, step: number): void {
    if (!Number.isFinite(lr)) throw new OxnetError('E_ARG', `applyGradients: lr must be finite, got ${lr}`);
    checkInt('step', step, 0);
    if (grads !== null) {
      checkArrays(
        'applyGradients',
        'grads',
        grads,
        this.grads.map((g) => g.length),
      );
      grads.forEach((g, i) => {
        this.grads[i].set(g);
      });
    }
    this.update(lr, step);
  }

  private trainBatch(ds: JsDataset, order: Uint32Array, start: number, n: number, step: number, lr: number): GradientStats {
    ds.inputs.forEach((x, i) => {
      gather(x, ds.inputSizes[i], order, start, n, this.view(this.bufs, this.trainPlan.buffer[i], n * ds.inputSizes[i]));
    });
    this.targets = ds.targets.map((t, o) => {
      const out = this.targetBuf(o, n * ds.targetSizes[o]);
      gather(t, ds.targetSizes[o], order, start, n, out);
      return out;
    });
    this.forward(n, true, step, this.nodes.length - 1);
    const stats = this.lossAndBackward(n, step, this.targets);
    if (stats.finite) this.update(lr, step);
    return stats;
  }

  private readonly targetBufs: FloatArray[] = [];

  private targetBuf(o: number, len: number): FloatArray {
    const b = this.targetBufs[o];
    if (!b || b.length < len) {
      this.targetBufs[o] = this.dtype === 'float64' ? new Float64Array(len) : new Float32Array(len);
      return this.targetBufs[o];
    }
    return b.subarray(0, len);
  }

  private update(lr: number, step: number): void {
    const opt = resolveOptimizer(this.spec.optimizer, lr);
    if (this.spec.clipNorm !== undefined) clipGlobalNorm(this.grads, this.spec.clipNorm);
    for (let p = 0; p < this.params.length; p++) {
      applyOptimizer(opt, this.params[p] as Float32Array, this.grads[p] as Float32Array, this.optState[p], step + 1);
    }
  }

  /** A view of `len` floats of buffer b of `pool`, grown when short. */
  private view(pool: FloatArray[], b: number, len: number): FloatArray {
    if (pool[b].length < len) pool[b] = this.dtype === 'float64' ? new Float64Array(len) : new Float32Array(len);
    return pool[b].length === len ? pool[b] : pool[b].subarray(0, len);
  }

  private inputsOf(node: NodeRt, n: number, plan: Plan): FloatArray[] {
    return node.inputs.map((v, k) => this.bufs[plan.buffer[v]].subarray(0, n * node.inputSizes[k]));
  }

  private forward(n: number, training: boolean, step: number, last: number): void {
    const plan = training ? this.trainPlan : this.inferPlan;
    for (let j = 0; j <= last; j++) {
      const node = this.nodes[j];
      const inputs = this.inputsOf(node, n, plan);
      const out = this.view(this.bufs, plan.buffer[node.value], n * node.size);
      this.ops[j].forward({
        inputs,
        n,
        params: node.params.map((p) => this.params[p]),
        state: node.state.map((s) => this.state[s]),
        ctx: { training, step, seed: this.seed, node: j },
        out,
      });
    }
  }

  /** The prediction a loss reads: the value, or its producer's pre-activation, scaled. */
  private lossInput(o: OutputRt, y: FloatArray, n: number, plan: Plan): FloatArray {
    let pred = y;
    if (o.fromLogits) {
      const node = this.nodes[o.producer];
      pred = this.ops[o.producer].preActivation?.(this.inputsOf(node, n, plan), y) ?? y;
    }
    if (o.logitScale === 1) return pred;
    return pred.map((v) => v * o.logitScale);
  }

  private lossAndBackward(n: number, step: number, targets: FloatArray[]): GradientStats {
    const k = this.outputs.length;
    const outputLosses = new Float64Array(k);
    const correct = new Float64Array(k);
    let total = 0;
    this.outputs.forEach((o, i) => {
      const len = n * o.size;
      const y = this.bufs[this.trainPlan.buffer[o.value]].subarray(0, len);
      const gb = this.gradPlan.buffer[o.value];
      const grad = gb < 0 ? alloc(y, len) : o.first ? this.view(this.gbufs, gb, len) : this.scratchView(0, len);
      const value = lossInto({ kind: o.loss }, this.lossInput(o, y, n, this.trainPlan), targets[i], grad, n, o.size);
      const scale = o.logitScale * o.weight;
      if (scale !== 1) for (let e = 0; e < len; e++) grad[e] *= scale;
      if (gb >= 0 && !o.first) addInto(this.gbufs[gb], grad, len);
      outputLosses[i] = value;
      correct[i] = countCorrect(o.correct, y, targets[i], n, o.size);
      total += o.weight * value;
    });
    for (let j = this.nodes.length - 1; j >= 0; j--) if (this.nodes[j].backward) this.backwardNode(j, n, step);
    let finite = Number.isFinite(total);
    for (const g of this.grads) for (let e = 0; finite && e < g.length; e++) if (!Number.isFinite(g[e])) finite = false;
    return { loss: total, outputLosses, correct, finite };
  }

  private scratchView(k: number, len: number): FloatArray {
    while (this.scratch.length <= k) this.scratch.push(this.dtype === 'float64' ? new Float64Array(0) : new Float32Array(0));
    return this.view(this.scratch, k, len);
  }

  private backwardNode(j: number, n: number, step: number): void {
    const node = this.nodes[j];
    const dinputs = node.inputs.map((v, k) => {
      if (!node.needDx[k]) return null;
      const len = n * node.inputSizes[k];
      return node.firstDx[k] ? this.view(this.gbufs, this.gradPlan.buffer[v], len) : this.scratchView(k, len);
    });
    const len = n * node.size;
    this.ops[j].backward({
      inputs: this.inputsOf(node, n, this.trainPlan),
      out: this.bufs[this.trainPlan.buffer[node.value]].subarray(0, len),
      dout: this.gbufs[this.gradPlan.buffer[node.value]].subarray(0, len),
      fromPre: node.fromPre,
      n,
      params: node.params.map((p) => this.params[p]),
      grads: node.ownsGrads ? node.params.map((p) => this.grads[p]) : node.sharedGrads,
      dinputs,
      ctx: { training: true, step, seed: this.seed, node: j },
    });
    node.inputs.forEach((v, k) => {
      if (node.needDx[k] && !node.firstDx[k]) addInto(this.gbufs[this.gradPlan.buffer[v]], dinputs[k]!, n * node.inputSizes[k]);
    });
    if (!node.ownsGrads) {
      node.params.forEach((p, i) => {
        addInto(this.grads[p], node.sharedGrads[i], this.grads[p].length);
      });
    }
  }

  predict(inputs: Float32Array[], n: number): Float32Array[] {
    this.checkArrays('predict', inputs, null, n);
    const outs = this.outputs.map((o) => new Float32Array(n * o.size));
    this.chunks(inputs, n, this.nodes.length - 1, (start, m) => {
      this.outputs.forEach((o, i) => {
        outs[i].set(this.bufs[this.inferPlan.buffer[o.value]].subarray(0, m * o.size), start * o.size);
      });
    });
    return outs;
  }

  predictAsync(inputs: Float32Array[], n: number): Promise<Float32Array[]> {
    return new Promise((resolve) => resolve(this.predict(inputs, n)));
  }

  predictValue(inputs: Float32Array[], n: number, value: number): Float32Array {
    this.checkArrays('predict', inputs, null, n);
    const nIn = this.spec.inputs.length;
    if (!Number.isInteger(value) || value < 0 || value >= nIn + this.nodes.length) {
      throw new OxnetError('E_ARG', `predictValue: value must be < ${nIn + this.nodes.length} (value count), got ${value}`);
    }
    if (value < nIn) return Float32Array.from(inputs[value]);
    const size = this.nodes[value - nIn].size;
    const out = new Float32Array(n * size);
    this.chunks(inputs, n, value - nIn, (start, m) => out.set(this.bufs[this.inferPlan.buffer[value]].subarray(0, m * size), start * size));
    return out;
  }

  evaluate(inputs: Float32Array[], targets: Float32Array[], n: number): EvalStats {
    this.checkArrays('evaluate', inputs, targets, n);
    const k = this.outputs.length;
    const stats: EvalStats = { lossSums: new Float64Array(k), correct: new Float64Array(k), sqErr: new Float64Array(k), count: n };
    this.chunks(inputs, n, this.nodes.length - 1, (start, m) => {
      this.outputs.forEach((o, i) => {
        const len = m * o.size;
        const y = this.bufs[this.inferPlan.buffer[o.value]].subarray(0, len);
        const t = targets[i].subarray(start * o.size, (start + m) * o.size);
        const grad = alloc(y, len);
        stats.lossSums[i] += lossInto({ kind: o.loss }, this.lossInput(o, y, m, this.inferPlan), t, grad, m, o.size) * m;
        stats.correct[i] += countCorrect(o.correct, y, t, m, o.size);
        for (let e = 0; e < len; e++) stats.sqErr[i] += (y[e] - t[e]) ** 2;
      });
    });
    return stats;
  }

  /** Inference over n samples in chunks: nodes 0..last, then `take(start, m)` reads the buffers. */
  private chunks(inputs: Float32Array[], n: number, last: number, take: (start: number, m: number) => void): void {
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, n - start);
      inputs.forEach((x, i) => {
        const size = this.spec.inputs[i].size;
        this.view(this.bufs, this.inferPlan.buffer[i], m * size).set(x.subarray(start * size, (start + m) * size));
      });
      if (last >= 0) this.forward(m, false, 0, last);
      take(start, m);
    }
  }

  getParams(): Float32Array[] {
    return this.params.map((p) => Float32Array.from(p));
  }

  /** The parameters as held (Float64Array in float64 mode). */
  paramsExact(): FloatArray[] {
    return this.params.map((p) => p.slice());
  }

  setParams(params: FloatArray[]): void {
    checkArrays(
      'setParams',
      'params',
      params,
      this.params.map((p) => p.length),
    );
    params.forEach((p, i) => {
      this.params[i].set(p);
    });
  }

  getState(): Float32Array[] {
    return this.state.map((s) => Float32Array.from(s));
  }

  setState(state: FloatArray[]): void {
    checkArrays(
      'setState',
      'state',
      state,
      this.state.map((s) => s.length),
    );
    state.forEach((s, i) => {
      this.state[i].set(s);
    });
  }

  resetOptimizer(): void {
    for (const slots of this.optState) for (const s of slots) s.fill(0);
  }

  getOptimizerState(): Float32Array[] {
    return this.optState.flatMap((slots) => slots.map((s) => s.slice()));
  }

  setOptimizerState(state: Float32Array[]): void {
    const flat = this.optState.flat();
    checkArrays(
      'setOptimizerState',
      'state',
      state,
      flat.map((s) => s.length),
    );
    state.forEach((s, i) => {
      flat[i].set(s);
    });
  }

  private checkDataset(data: Dataset): JsDataset {
    if (!(data instanceof JsDataset)) throw new OxnetError('E_ARG', 'data must be a Dataset created by this backend (jsBackend.createDataset)');
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    const ins = this.spec.inputs.map((i) => i.size);
    if (!same(data.inputSizes, ins)) {
      throw new OxnetError('E_SHAPE', `dataset input sizes ${JSON.stringify(data.inputSizes)} do not match the network's inputs ${JSON.stringify(ins)}`);
    }
    const outs = this.outputs.map((o) => o.size);
    if (!same(data.targetSizes, outs)) {
      throw new OxnetError('E_SHAPE', `dataset target sizes ${JSON.stringify(data.targetSizes)} do not match the network's outputs ${JSON.stringify(outs)}`);
    }
    return data;
  }

  /** n rows of every input (and target, when given). */
  private checkArrays(op: string, inputs: unknown, targets: unknown, n: number): void {
    checkInt(`${op}: n`, n);
    checkRows(op, 'inputs', inputs, n, this.spec.inputs);
    if (targets !== null) checkRows(op, 'targets', targets, n, this.outputs);
  }

  /** Is the runner computing in float32 (the parameters a backend exposes)? */
  get float32(): boolean {
    return this.paramIsFloat32;
  }
}

function checkRows(op: string, what: string, arrays: unknown, n: number, of: { name: string; size: number }[]): void {
  if (!Array.isArray(arrays) || arrays.length !== of.length) {
    throw new OxnetError('E_SHAPE', `${op}: ${what} must be an array of ${of.length} arrays, got ${Array.isArray(arrays) ? arrays.length : typeof arrays}`);
  }
  arrays.forEach((a, i) => {
    if (!(a instanceof Float32Array)) throw new OxnetError('E_ARG', `${op}: ${what}[${i}] must be a Float32Array, got ${a === null ? 'null' : typeof a}`);
    checkLength(`${op}: ${what}[${i}] ('${of[i].name}')`, a, n * of[i].size, `n*size = ${n}*${of[i].size}`);
  });
}

/** The graph-level checks of executor.rs's GraphSpec::validate (ids, sizes, indices, outputs). */
function checkSpec(spec: GraphSpec): void {
  const bad = (m: string) => new OxnetError('E_CONFIG', `graph: ${m}`);
  if (!spec || typeof spec !== 'object') throw bad('spec must be an object');
  for (const key of ['inputs', 'nodes', 'params', 'state', 'outputs'] as const) {
    if (!Array.isArray(spec[key])) throw bad(`${key} must be an array`);
    // findIndex visits holes too (forEach, used below, skips them).
    const k = (spec[key] as unknown[]).findIndex((e) => e === null || typeof e !== 'object');
    if (k >= 0) throw bad(`${key}[${k}] must be an object, got ${showValue(spec[key][k])}`);
  }
  if (spec.inputs.length === 0) throw bad('needs at least one input');
  if (spec.nodes.length === 0) throw bad('needs at least one node');
  if (spec.outputs.length === 0) throw bad('needs at least one output');
  if (!Number.isFinite(spec.seed)) throw new OxnetError('E_ARG', `network: seed must be finite, got ${spec.seed}`);
  if (spec.clipNorm !== undefined && !(typeof spec.clipNorm === 'number' && Number.isFinite(spec.clipNorm) && spec.clipNorm > 0)) {
    throw new OxnetError('E_ARG', `network: clipNorm must be a finite number > 0, got ${spec.clipNorm}`);
  }
  resolveOptimizer(spec.optimizer);
  const size = (s: unknown, what: string) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > 2 ** 31 - 1) throw bad(`${what} has size ${String(s)}, expected 1..=${2 ** 31 - 1}`);
  };
  spec.inputs.forEach((i, k) => {
    size(i?.size, `input ${k}`);
  });
  for (const [what, list] of [
    ['params', spec.params],
    ['state', spec.state],
  ] as const) {
    list.forEach((t, k) => {
      if (!t || typeof t.size !== 'number' || !Number.isInteger(t.size) || t.size < 0) throw bad(`${what}[${k}] has an invalid size ${String(t?.size)}`);
    });
  }
  const nIn = spec.inputs.length;
  const used = { params: new Array(spec.params.length).fill(false), state: new Array(spec.state.length).fill(false) };
  spec.nodes.forEach((node, j) => {
    if (!node || typeof node !== 'object') throw bad(`node ${j} is not an object`);
    size(node.size, `node '${node.name}'`);
    const own = nIn + j;
    if (!Array.isArray(node.inputs) || node.inputs.length === 0) throw bad(`node '${node.name}' reads no input`);
    const v = node.inputs.find((x) => !Number.isInteger(x) || x < 0 || x >= own);
    if (v !== undefined)
      throw bad(`node '${node.name}' (value ${own}) reads value ${v}, which is not an earlier value (the nodes must be in topological order)`);
    for (const key of ['params', 'state'] as const) {
      const ids = node[key];
      const len = spec[key].length;
      const ok = Array.isArray(ids) && ids.every((i, k) => Number.isInteger(i) && i >= 0 && i < len && (k === 0 || i === ids[k - 1] + 1));
      if (!ok) throw bad(`node '${node.name}' ${key} ${JSON.stringify(ids)} must be consecutive indices below ${len}`);
      for (const i of ids) used[key][i] = true;
    }
  });
  const p = used.params.indexOf(false);
  if (p >= 0) throw bad(`parameter ${p} ('${spec.params[p].name}') is used by no node`);
  const s = used.state.indexOf(false);
  if (s >= 0) throw bad(`state tensor ${s} ('${spec.state[s].name}') is used by no node`);
  spec.outputs.forEach((o, k) => {
    if (!o || !Number.isInteger(o.value) || o.value < 0 || o.value >= nIn + spec.nodes.length)
      throw bad(`output ${k} names value ${o?.value}, past the last value`);
    checkLoss({ kind: o.loss });
    if (!(Number.isFinite(o.weight) && o.weight >= 0))
      throw new OxnetError('E_ARG', `output '${o.name}': weight must be a finite number >= 0, got ${o.weight}`);
    if (!(Number.isFinite(o.logitScale) && o.logitScale > 0))
      throw new OxnetError('E_ARG', `output '${o.name}': logitScale must be a finite number > 0, got ${o.logitScale}`);
    if (o.correct !== 'argmax' && o.correct !== 'threshold') throw bad(`output '${o.name}': correct must be 'argmax' or 'threshold'`);
    if (o.fromLogits) {
      if (!['binaryCrossEntropy', 'softmaxCrossEntropy', 'perceptron'].includes(o.loss))
        throw bad(`output '${o.name}': loss ${o.loss} is not computed from logits`);
      if (o.value < nIn) throw bad(`output '${o.name}': a from-logits loss needs a node's output, not a model input`);
      const readers = spec.nodes.filter((n) => n.inputs.includes(o.value)).length + spec.outputs.filter((q) => q.value === o.value).length - 1;
      if (readers > 0) throw bad(`output '${o.name}': a from-logits loss needs that value to feed nothing else`);
    }
  });
}

function checkArrays(op: string, name: string, arrays: unknown, sizes: number[]): void {
  if (!Array.isArray(arrays) || arrays.length !== sizes.length) {
    throw new OxnetError('E_SHAPE', `${op}: ${name} must be an array of ${sizes.length} arrays, got ${Array.isArray(arrays) ? arrays.length : typeof arrays}`);
  }
  arrays.forEach((a, i) => {
    if (!(a instanceof Float32Array || a instanceof Float64Array)) throw new OxnetError('E_ARG', `${op}: ${name}[${i}] must be a Float32Array`);
    checkLength(`${name}[${i}]`, a, sizes[i], `${sizes[i]}`);
  });
}

function checkOrder(order: Uint32Array, count: number): void {
  if (!(order instanceof Uint32Array)) throw new OxnetError('E_ARG', 'train: order must be a Uint32Array');
  for (let i = 0; i < order.length; i++) {
    if (order[i] >= count) throw new OxnetError('E_ARG', `order[${i}] = ${order[i]} is out of range for a dataset of ${count}`);
  }
}

function gather(src: FloatArray, width: number, order: Uint32Array, start: number, n: number, out: FloatArray): void {
  for (let r = 0; r < n; r++) {
    const from = order[start + r] * width;
    out.set(src.subarray(from, from + width), r * width);
  }
}

function alloc(like: FloatArray, len: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(len) : new Float32Array(len);
}

function addInto(dst: FloatArray, src: FloatArray, len: number): void {
  for (let i = 0; i < len; i++) dst[i] += src[i];
}

/** argmax match (width > 1), or both sides of 0.5 (docs/kernels.md). */
function countCorrect(rule: CorrectRule, out: FloatArray, t: FloatArray, n: number, width: number): number {
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const row = r * width;
    if (rule === 'threshold') {
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

/** Scales all gradients by maxNorm / ||g|| when the global L2 norm exceeds maxNorm (docs/kernels.md). */
function clipGlobalNorm(grads: FloatArray[], maxNorm: number): void {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
}

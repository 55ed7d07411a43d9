// The backend contract. Both implementations (native Rust through N-API, and pure TypeScript)
// provide exactly this; nothing above src/backend/ knows which one it talks to.
//
// Conventions shared by every kernel (and mirrored in crates/oxnet-core):
// - Tensors are flat, row-major arrays. A batch of n samples of size d is n*d long, sample-major.
// - Dense weights W are [inputs x units] row-major (W[i*units + j] connects input i to unit j),
//   bias b is [units]. y = x·W + b.
// - Images are channels-last (NHWC), like Keras and TensorFlow.js. Conv kernels are
//   [kh, kw, inChannels, filters] (HWIO), as in TensorFlow.
// - Losses are averaged over the batch; within a sample they follow their own definition
//   (halfSse: 1/2 sum_k (y_k - t_k)^2, exactly the course's E for one sample).
// - "From logits" losses (softmaxCrossEntropy, binaryCrossEntropy, perceptron) are computed from
//   the producing node's pre-activation and give the gradient with respect to it directly.
import type { OpSpec } from '../layers';
import type { ActivationSpec, FloatArray, LossKind, LossSpec, OptimizerSpec, Shape3 } from './spec';

export type { ActivationKind, ActivationSpec, FloatArray, LossKind, LossSpec, OptimizerSpec, Shape3 } from './spec';
export type { OpSpec } from '../layers';

/** A parameter or state tensor of a graph: its name and length. */
export interface TensorSpec {
  name: string;
  size: number;
}

/** One node: an op reading earlier values. */
export interface NodeSpec {
  name: string;
  op: OpSpec;
  /**
   * Value ids it reads, in the op's order: 0..inputs.length-1 are the model inputs,
   * inputs.length + j the output of node j (earlier nodes only: the list is topological).
   */
  inputs: number[];
  /** Consecutive indices into GraphSpec.params; the nodes of a layer applied twice name the same. */
  params: number[];
  /** Consecutive indices into GraphSpec.state. */
  state: number[];
  /** Floats per sample of its output. */
  size: number;
}

/** How a sample counts as right: the argmax of the row matches, or (one unit) both sides of 0.5 agree. */
export type CorrectRule = 'argmax' | 'threshold';

/** A model output and its loss, with the pairing resolved (src/model/compile.ts, once). */
export interface OutputSpec {
  name: string;
  /** Value id of the prediction. */
  value: number;
  loss: LossKind;
  /** Multiplies this output's loss in the total (Keras's lossWeights). */
  weight: number;
  /** The loss reads the producing node's pre-activation, and its gradient enters there. */
  fromLogits: boolean;
  /** logits = logitScale * pre-activation (a sigmoid with beta before binaryCrossEntropy), else 1. */
  logitScale: number;
  correct: CorrectRule;
}

/**
 * A whole network as the executors see it. Shapes, parameter sizes, initial values (passed beside
 * it) and the loss pairing are resolved in TypeScript; executors check lengths and execute.
 */
export interface GraphSpec {
  inputs: { name: string; size: number }[];
  nodes: NodeSpec[];
  params: TensorSpec[];
  state: TensorSpec[];
  outputs: OutputSpec[];
  optimizer: OptimizerSpec;
  /** Drives dropout masks; the executor derives one stream per batch and node from it. */
  seed: number;
  /**
   * Global gradient-norm clipping: after backward, when the L2 norm of all parameter gradients
   * together exceeds clipNorm, every gradient is scaled by clipNorm / norm. Absent: no clipping.
   */
  clipNorm?: number;
}

/** Per-batch results of a training run, in batch order. */
export interface TrainStats {
  /** Total loss of each batch (Σ weight · output loss, before that batch's update). */
  losses: Float64Array;
  /** batches x outputs, row-major: each output's mean loss. */
  outputLosses: Float64Array;
  /** batches x outputs: samples whose prediction matched (see CorrectRule). */
  correct: Float64Array;
  /** Index of the first batch whose loss or gradient was not finite, or -1. Training stops there. */
  nonFiniteBatch: number;
}

/**
 * A multi-epoch training call (NetworkRunner.trainEpochs): whole epochs over all `count` samples of
 * the data set without returning to JavaScript between them.
 */
export interface EpochPlan {
  epochs: number;
  batchSize: number;
  lr: number;
  /** Optimizer step before the first batch; batch b of epoch e runs at step + e * batches + b. */
  step: number;
  /**
   * One seed per epoch: that epoch visits the mulberry32 Fisher-Yates shuffle of 0..count-1
   * (shuffledIndices of src/random.ts). Give this or `orders`, not both; neither: the identity
   * order every epoch.
   */
  shuffleSeeds?: Uint32Array;
  /** epochs * count sample indices, epoch after epoch. */
  orders?: Uint32Array;
  /** Stop after the first epoch whose mean loss is below this (brain.js's errorThresh). */
  stopBelow?: number;
}

/** Results of trainEpochs, per completed epoch. */
export interface EpochStats {
  /** Mean total loss over the epoch's samples (each batch's loss before its update, weighted by its size). */
  losses: Float64Array;
  /** epochs x outputs: each output's mean loss. */
  outputLosses: Float64Array;
  /** epochs x outputs: samples whose prediction matched, summed over the epoch. */
  correct: Float64Array;
  /** Epochs completed (losses.length). */
  epochs: number;
  /** -1, or the batch of epoch `epochs` whose loss or gradient was not finite; training stopped there. */
  nonFiniteBatch: number;
}

/** Sums over the samples of an inference pass with the losses (evaluate). */
export interface EvalStats {
  /** Per output: the loss summed over samples (mean loss x count). */
  lossSums: Float64Array;
  correct: Float64Array;
  /** Per output: Σ (y - t)^2 over samples and units. */
  sqErr: Float64Array;
  count: number;
}

/** One batch's figures from computeGradients (the gradients stay in the runner). */
export interface GradientStats {
  /** Σ weight · output loss. */
  loss: number;
  outputLosses: Float64Array;
  correct: Float64Array;
  /** The loss and every gradient are finite. */
  finite: boolean;
}

/** Floats per sample the executor's buffers hold, against one buffer per value. */
export interface MemoryReport {
  training: number;
  trainingNaive: number;
  gradients: number;
  gradientsNaive: number;
  inference: number;
  inferenceNaive: number;
}

/** A data set copied once into the backend (so background training never reads JS memory). */
export interface Dataset {
  readonly count: number;
  /** Floats per sample of each model input. */
  readonly inputSizes: number[];
  /** Floats per sample of each target (one per output). */
  readonly targetSizes: number[];
}

/** A compiled network living in a backend: parameters, gradients, optimizer state and buffers. */
export interface NetworkRunner {
  /**
   * Runs mini-batches over `order` (sample indices into `data`, consecutive chunks of `batchSize`,
   * the last one possibly smaller), updating parameters in place. `lr` overrides the optimizer's
   * learning rate for this call. `step` is the optimizer's step counter before the first batch
   * (Adam bias correction). Does its work off the main thread on the native backend.
   */
  train(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): Promise<TrainStats>;
  /** Same as train, on the calling thread. */
  trainSync(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): TrainStats;
  /** Whole epochs in one call (see EpochPlan); off the main thread on the native backend. */
  trainEpochs(data: Dataset, plan: EpochPlan): Promise<EpochStats>;
  /** Same as trainEpochs, on the calling thread. */
  trainEpochsSync(data: Dataset, plan: EpochPlan): EpochStats;
  /** Inference (dropout off, batch norm on running statistics) for n samples: one array per output. */
  predict(inputs: Float32Array[], n: number): Float32Array[];
  predictAsync(inputs: Float32Array[], n: number): Promise<Float32Array[]>;
  /** Inference value `value` (a model input or any node's output) for n samples: encode(). */
  predictValue(inputs: Float32Array[], n: number, value: number): Float32Array;
  /** Inference with the losses and metrics of every output over n samples (same losses as training). */
  evaluate(inputs: Float32Array[], targets: Float32Array[], n: number): EvalStats;
  /**
   * Forward and backward of one batch (n rows of every input and target) in training mode at
   * optimizer step `step` (dropout masks, batch-norm running statistics updated); the gradients
   * stay in the runner for getGradients / applyGradients.
   */
  computeGradients(inputs: Float32Array[], targets: Float32Array[], n: number, step: number): GradientStats;
  /** Copies of the gradients the last batch left, in parameter order. */
  getGradients(): Float32Array[];
  /**
   * The optimizer's update (clipped by the spec's clipNorm) from `grads`, or from the gradients
   * left by computeGradients when null, as the update after a batch at step `step`.
   */
  applyGradients(grads: Float32Array[] | null, lr: number, step: number): void;
  /** Copies of the parameters, in GraphSpec.params order. */
  getParams(): Float32Array[];
  setParams(params: Float32Array[]): void;
  /** Non-trainable state saved with the model (batch norm running mean/var), in GraphSpec.state order. */
  getState(): Float32Array[];
  setState(state: Float32Array[]): void;
  /** Resets optimizer moments (used when weights are replaced). */
  resetOptimizer(): void;
  /**
   * Copies of the optimizer's moments, parameter after parameter: sgd with momentum [velocity]
   * each, adam [m, v] each, plain sgd none. With the step, all a checkpoint needs to resume.
   */
  getOptimizerState(): Float32Array[];
  /** Replaces the moments (getOptimizerState's order; every length checked). */
  setOptimizerState(state: Float32Array[]): void;
  /** Floats per sample the activation and gradient buffers need, against one buffer per value. */
  memory(): MemoryReport;
}

export interface DenseGrads<T extends FloatArray> {
  dx: T;
  dw: T;
  db: T;
}

export interface Conv2dGeometry {
  batch: number;
  inShape: Shape3;
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
}

export interface Pool2dGeometry {
  batch: number;
  inShape: Shape3;
  pool: [number, number];
  strides: [number, number];
  padding: [number, number, number, number];
}

/**
 * The backend. Kernel functions are the units the conformance suite checks on both backends;
 * createNetwork gives the executor that trains a whole graph with few crossings.
 * Native kernels take Float32Array only; the js backend also takes Float64Array.
 */
export interface Backend {
  readonly name: 'native' | 'js';

  /** C[m x n] = A[m x k] · B[k x n], all row-major. */
  matmul<T extends FloatArray>(a: T, b: T, m: number, k: number, n: number): T;

  denseForward<T extends FloatArray>(x: T, w: T, b: T | null, batch: number, inputs: number, units: number): T;
  denseBackward<T extends FloatArray>(x: T, w: T, dy: T, batch: number, inputs: number, units: number): DenseGrads<T>;

  /** Element-wise, except softmax which works per row of `width`. */
  activationForward<T extends FloatArray>(act: ActivationSpec, x: T, width: number): T;
  /** Gradient with respect to the pre-activation x, given y = f(x) and dL/dy. */
  activationBackward<T extends FloatArray>(act: ActivationSpec, x: T, y: T, dy: T, width: number): T;

  /**
   * Loss averaged over the batch and its gradient with respect to `pred`, where `pred` is the
   * output, or its pre-activation for the from-logits losses.
   */
  loss<T extends FloatArray>(loss: LossSpec, pred: T, target: T, batch: number, width: number): { loss: number; grad: T };

  /**
   * One optimizer update in place on `param` from `grad`. `state` holds the optimizer's slots for
   * this parameter (sgd with momentum: [velocity]; adam: [m, v]), each param-sized, updated in place.
   * `step` counts from 1.
   */
  optimizerStep(opt: OptimizerSpec, param: Float32Array, grad: Float32Array, state: Float32Array[], step: number): void;

  conv2dForward<T extends FloatArray>(x: T, w: T, b: T | null, g: Conv2dGeometry): T;
  conv2dBackward<T extends FloatArray>(x: T, w: T, dy: T, g: Conv2dGeometry): DenseGrads<T>;
  maxPool2dForward<T extends FloatArray>(x: T, g: Pool2dGeometry): T;
  maxPool2dBackward<T extends FloatArray>(x: T, dy: T, g: Pool2dGeometry): T;
  avgPool2dForward<T extends FloatArray>(x: T, g: Pool2dGeometry): T;
  avgPool2dBackward<T extends FloatArray>(x: T, dy: T, g: Pool2dGeometry): T;

  /**
   * Copies `count` rows of every model input and every target; a target that is one of the
   * inputs (the same array object, an autoencoder's) is held once.
   */
  createDataset(inputs: Float32Array[], targets: Float32Array[], count: number): Dataset;
  /**
   * Optional: replaces the rows of `data` (made by createDataset here) in the memory it already
   * holds, as createDataset would copy them (fitDataset reuses two data sets this way instead of
   * allocating one per group of batches). Throws E_STATE while a training call still reads it.
   */
  refillDataset?(data: Dataset, inputs: Float32Array[], targets: Float32Array[], count: number): void;
  /** `params` and `state` in the spec's order (their lengths are checked first). */
  createNetwork(spec: GraphSpec, params: Float32Array[], state: Float32Array[]): NetworkRunner;
}

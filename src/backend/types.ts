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
//   the last layer's pre-activation and give the gradient with respect to it directly.

/** A float array either backend accepts. The js backend also computes in Float64 (gradient checks). */
export type FloatArray = Float32Array | Float64Array;

export type ActivationKind = 'linear' | 'step' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'softmax';

export interface ActivationSpec {
  kind: ActivationKind;
  /** Sigmoid steepness: s(x) = 1 / (1 + exp(-beta x)). Default 1. */
  beta?: number;
  /** Leaky ReLU slope for x < 0. Default 0.01. */
  alpha?: number;
}

export type LossKind = 'halfSse' | 'mse' | 'binaryCrossEntropy' | 'softmaxCrossEntropy' | 'perceptron';

export interface LossSpec {
  kind: LossKind;
}

export type OptimizerSpec =
  | { kind: 'sgd'; lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | {
      kind: 'adam';
      lr: number;
      beta1?: number;
      beta2?: number;
      epsilon?: number;
      weightDecay?: number;
      /** true: AdamW (decay applied to the weights directly); false: L2 added to the gradient. */
      decoupled?: boolean;
    };

/** [height, width, channels] of one sample, channels-last. */
export type Shape3 = [number, number, number];

export type LayerSpec =
  | { type: 'dense'; inputs: number; units: number; useBias: boolean; activation: ActivationSpec }
  | {
      type: 'conv2d';
      inShape: Shape3;
      filters: number;
      kernel: [number, number];
      strides: [number, number];
      /** [top, bottom, left, right] zero padding, already resolved from 'valid' / 'same'. */
      padding: [number, number, number, number];
      dilation: [number, number];
      useBias: boolean;
      activation: ActivationSpec;
    }
  | {
      type: 'maxPool2d' | 'avgPool2d';
      inShape: Shape3;
      pool: [number, number];
      strides: [number, number];
      padding: [number, number, number, number];
    }
  | { type: 'globalAvgPool2d'; inShape: Shape3 }
  | { type: 'activation'; size: number; activation: ActivationSpec }
  | { type: 'dropout'; size: number; rate: number }
  | { type: 'batchNorm'; size: number; channels: number; momentum: number; epsilon: number }
  /** flatten and reshape: no data movement, the flat buffer is already in order. */
  | { type: 'reshape'; size: number };

/** A whole network as the executors see it. Parameters are passed separately (see paramShapes). */
export interface NetworkSpec {
  inputSize: number;
  layers: LayerSpec[];
  loss: LossSpec;
  optimizer: OptimizerSpec;
  /** Drives dropout masks; the executor derives one stream per batch from it. */
  seed: number;
  /**
   * Global gradient-norm clipping: after backward, when the L2 norm of all parameter gradients
   * together exceeds clipNorm, every gradient is scaled by clipNorm / norm. Absent: no clipping.
   */
  clipNorm?: number;
}

/** Per-batch results of a training run, in batch order. */
export interface TrainStats {
  /** Mean loss of each batch (before that batch's update). */
  losses: Float64Array;
  /** Samples of each batch whose predicted class (argmax, or > 0.5 / step for 1 output) matched. */
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
   * (shuffledIndices of src/backend/js/rng.ts). Give this or `orders`, not both; neither: the
   * identity order every epoch.
   */
  shuffleSeeds?: Uint32Array;
  /** epochs * count sample indices, epoch after epoch. */
  orders?: Uint32Array;
  /** Stop after the first epoch whose mean loss is below this (brain.js's errorThresh). */
  stopBelow?: number;
}

/** Results of trainEpochs, per completed epoch. */
export interface EpochStats {
  /** Mean loss over the epoch's samples (each batch's loss before its update, weighted by its size). */
  losses: Float64Array;
  /** Samples whose prediction matched (as TrainStats.correct), summed over the epoch. */
  correct: Float64Array;
  /** Epochs completed (losses.length). */
  epochs: number;
  /** -1, or the batch of epoch `epochs` whose loss or gradient was not finite; training stopped there. */
  nonFiniteBatch: number;
}

/** A data set copied once into the backend (so background training never reads JS memory). */
export interface Dataset {
  readonly count: number;
  readonly inputSize: number;
  readonly targetSize: number;
}

/** A compiled network living in a backend: parameters, optimizer state and scratch buffers. */
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
  /** Inference (dropout off, batch norm on running statistics) for n samples; returns n*outputSize. */
  predict(x: Float32Array, n: number): Float32Array;
  predictAsync(x: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Outputs of layer `layerIndex` (inclusive, after its activation) in inference mode: used for
   * encode() of an autoencoder.
   */
  predictUpTo(x: Float32Array, n: number, layerIndex: number): Float32Array;
  /** Copies of the parameters, in paramShapes order. */
  getParams(): Float32Array[];
  setParams(params: Float32Array[]): void;
  /** Non-trainable state saved with the model (batch norm running mean/var), in layer order. */
  getState(): Float32Array[];
  setState(state: Float32Array[]): void;
  /** Resets optimizer moments (used when weights are replaced). */
  resetOptimizer(): void;
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
 * createNetwork gives the executor that trains a whole network with few crossings.
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
   * last layer's output, or its pre-activation for the from-logits losses.
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

  createDataset(x: Float32Array, y: Float32Array, count: number): Dataset;
  createNetwork(spec: NetworkSpec, params: Float32Array[]): NetworkRunner;
}

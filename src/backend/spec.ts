// The plain-data vocabulary both backends and the layer definitions share: activations, losses,
// optimizers, shapes. No imports, so anything may depend on it.

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

/**
 * The arithmetic of the matrix products of dense and conv2d (docs/kernels.md, "Bfloat16 mixed
 * precision"): float32 throughout, or operands rounded to bfloat16 and float32 accumulation.
 * Everything else (weights, optimizer, gradient sums, losses, batch norm) is float32 in both.
 */
export type Precision = 'float32' | 'bfloat16';

export const PRECISIONS: readonly Precision[] = ['float32', 'bfloat16'];

/** [height, width, channels] of one sample, channels-last. */
export type Shape3 = [number, number, number];

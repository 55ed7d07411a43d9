// The JS layer interface (ConvNetJS style): each layer holds its forward, backward, parameters,
// gradients and scratch buffers in one place. Buffers are kept across batches and regrown only
// when a larger batch arrives; a layer's output stays valid until its next forward.
import type { ActivationSpec, LayerSpec, NetworkSpec } from '../../types';

/** What a forward pass needs besides the data. */
export interface PassContext {
  /** Training mode (dropout active, batch norm on batch statistics and updating running stats). */
  training: boolean;
  /** Global optimizer step s = step + batchIndex (dropout masks). 0 in inference. */
  step: number;
}

/** Where a layer sits in its network (dropout seeds use both). */
export interface LayerContext {
  index: number;
  network: NetworkSpec;
}

export interface JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Trainable parameters, live, in the order of docs/kernels.md (dense: [W, b?]). */
  readonly params: Float32Array[];
  /** Gradients, same shapes as params, overwritten by each backward. */
  readonly grads: Float32Array[];
  /** Non-trainable saved state, live (batch norm: [runningMean, runningVar]). */
  readonly state: Float32Array[];
  /** The activation at the end of this layer, or null (the executor treats null as linear). */
  readonly activation: ActivationSpec | null;
  /**
   * Computes batch*outputSize outputs from x (batch*inputSize). Returns a view of the layer's own
   * buffer. The layer may keep a reference to x for backward.
   */
  forward(x: Float32Array, batch: number, ctx: PassContext): Float32Array;
  /** The pre-activation of the last forward (equals the output when activation is null). */
  preActivation(): Float32Array;
  /**
   * From dL/d(output) — or dL/d(pre-activation) when `fromPre` (from-logits losses) — fills
   * grads and returns dL/d(input) (a view of a layer buffer), or null when `needInput` is false.
   */
  backward(dy: Float32Array, batch: number, fromPre: boolean, needInput: boolean): Float32Array | null;
}

/** Builds one layer from its spec. */
export type LayerFactory<S extends LayerSpec = LayerSpec> = (spec: S, ctx: LayerContext) => JsLayer;

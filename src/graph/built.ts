// What a layer resolves to for given input shapes (the vocabulary shared by the layer
// definitions, symbolic tensors and the model graph): output shape, parameters with their
// initializers, state, and the backend node(s) it runs.
import type { ActivationSpec } from '../backend/spec';

/** Shape of one sample, without the batch axis: [features] or [height, width, channels]. */
export type SampleShape = number[];

export interface ParamInfo {
  /** 'kernel', 'bias', 'gamma', 'beta'. */
  name: string;
  shape: number[];
  /** Initial values; `next` is the model's uniform [0, 1) stream. */
  init(next: () => number): Float32Array;
}

export interface StateInfo {
  name: string;
  shape: number[];
  init(): Float32Array;
}

/** An input of a backend node: one of the layer's inputs, or an earlier node of the same layer. */
export type NodeRef = { input: number } | { node: number };

/** One backend node of a layer (most layers run one; separableConv2d runs two). */
export interface BuiltNode {
  /** The backend op (an OpSpec of src/layers/index.ts; typed loosely here so that this module imports no layer). */
  op: { readonly type: string };
  inputs: NodeRef[];
  /** Indices into Built.params / Built.state. */
  params: number[];
  state: number[];
  shape: SampleShape;
  /** Appended to the layer's name for all but the last node ('depthwise'). */
  suffix?: string;
}

/** A layer resolved for its input shapes. The last node's output is the layer's output. */
export interface Built {
  outputShape: SampleShape;
  params: ParamInfo[];
  state: StateInfo[];
  nodes: BuiltNode[];
  /** The activation the last node ends in (dense, conv, activation): the loss pairing reads it. */
  activation?: ActivationSpec;
  /** A channelsFirst conv2d: its input, a model input, is transposed NCHW -> NHWC on the way in. */
  channelsFirstInput?: boolean;
}

/** Where a layer is being built, for its checks and messages. */
export interface BuildContext {
  /** "layer 'conv2d_1'" */
  where: string;
  /** Per input: it is a model input (channelsFirst conv2d needs one). */
  fromModelInput: boolean[];
}

/** A layer as symbolic application sees it (src/layers/layer.ts's Layer). */
export interface AppliedLayer {
  readonly type: string;
  readonly name: string | undefined;
  readonly def: { readonly inputs: 'one' | 'many' };
  build(shapes: SampleShape[], ctx: BuildContext): Built;
}

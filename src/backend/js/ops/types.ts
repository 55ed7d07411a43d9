// The js twin of crates/oxnet-core/src/ops/mod.rs: what a graph node runs. One file per op with
// forward and backward side by side, the same file name as the Rust op. The contract: forward
// writes every element of `out`; backward writes every element of each input gradient it is given
// (null: not needed) and of every parameter gradient, overwriting (the executor sums when a value
// feeds several consumers or a layer is applied twice); buffers hold exactly n * size floats.
import type { FloatArray } from '../../spec';
import { OxnetError } from '../../../errors';

export interface OpContext {
  /** Training mode (dropout active, batch norm on batch statistics and updating running stats). */
  training: boolean;
  /** Global optimizer step of this batch (before its update), for dropout masks. */
  step: number;
  /** The network seed (>>> 0). */
  seed: number;
  /** This node's index in the graph's node list, for dropout masks. */
  node: number;
}

export interface JsForward {
  inputs: FloatArray[];
  n: number;
  params: FloatArray[];
  /** Non-trainable state, updated in place by training forwards (running statistics). */
  state: FloatArray[];
  ctx: OpContext;
  out: FloatArray;
}

export interface JsBackward {
  inputs: FloatArray[];
  /** The matching forward's output. */
  out: FloatArray;
  dout: FloatArray;
  /** dout is the gradient of the op's pre-activation (a from-logits loss on this node). */
  fromPre: boolean;
  n: number;
  params: FloatArray[];
  /** Parameter gradients, overwritten. */
  grads: FloatArray[];
  /** Input gradients to overwrite, null where none is needed. */
  dinputs: (FloatArray | null)[];
  ctx: OpContext;
}

/** What backward reads besides dout, so the executor keeps those values alive until then. */
export interface Reads {
  inputs: boolean;
  output: boolean;
}

export const READS_ALL: Reads = { inputs: true, output: true };
export const READS_NOTHING: Reads = { inputs: false, output: false };

export interface JsOp {
  readonly reads: Reads;
  forward(f: JsForward): void;
  backward(b: JsBackward): void;
  /** The pre-activation of the last forward (from-logits losses); undefined: no activation. */
  preActivation?(inputs: FloatArray[], out: FloatArray): FloatArray;
}

/** How a node is wired, per sample (what an op's factory checks its spec against). */
export interface NodeShape {
  name: string;
  inputs: number[];
  output: number;
  params: number[];
  state: number[];
}

/** Refuses wiring other than `inputs` -> `output` with these parameter and state lengths. */
export function expectShape(op: string, s: NodeShape, inputs: number[], output: number, params: number[], state: number[]): void {
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  const bad = (kind: string, got: unknown, want: unknown) => {
    throw new OxnetError('E_CONFIG', `node '${s.name}' (${op}): ${kind} ${JSON.stringify(got)}, its spec implies ${JSON.stringify(want)}`);
  };
  if (!same(s.inputs, inputs)) bad('input sizes are', s.inputs, inputs);
  if (s.output !== output) bad('output size is', s.output, output);
  if (!same(s.params, params)) bad('parameter lengths are', s.params, params);
  if (!same(s.state, state)) bad('state lengths are', s.state, state);
}

/** The op's kernel for one spec type. */
export type OpFactory<S> = (spec: S, shape: NodeShape) => JsOp;

// A stand-alone activation: y = f(x), softmax over rows of `width` (the last axis).
import type { ActivationOp } from '../../../layers/activation';
import { OxnetError } from '../../../errors';
import { activationBackwardInto, activationForwardInto, checkActivation } from '../activation';
import { checkInt } from '../check';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const activation: OpFactory<ActivationOp> = (spec, shape): JsOp => {
  checkInt('activation.size', spec.size);
  checkInt('activation.width', spec.width);
  if (spec.size % spec.width !== 0) throw new OxnetError('E_CONFIG', `activation: size ${spec.size} is not a multiple of width ${spec.width}`);
  checkActivation(spec.activation);
  expectShape('activation', shape, [spec.size], spec.size, [], []);
  const act = spec.activation;
  // Every derivative but leaky ReLU's reads y only (ReLU's mask y > 0 is x > 0): the input is free
  // once the forward ran, as in the Rust op.
  const leaky = act.kind === 'leakyRelu';
  const reads = leaky ? { inputs: true, output: false } : act.kind === 'linear' || act.kind === 'step' ? READS_NOTHING : { inputs: false, output: true };
  return {
    reads,
    forward({ inputs: [x], out }) {
      activationForwardInto(act, x, out, out.length, spec.width);
    },
    preActivation: ([x]) => x,
    backward({ inputs: [x], out, dout, fromPre, dinputs: [dx] }) {
      if (!dx) return;
      if (fromPre) dx.set(dout);
      else activationBackwardInto(act, leaky ? x : out, out, dout, dx, dout.length, spec.width);
    },
  };
};

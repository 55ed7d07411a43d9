// Flatten / reshape: the flat NHWC buffer is already in order; forward and backward copy.
import type { ReshapeOp } from '../../../layers/shape';
import { checkInt } from '../check';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const reshape: OpFactory<ReshapeOp> = (spec, shape): JsOp => {
  checkInt('reshape.size', spec.size);
  expectShape('reshape', shape, [spec.size], spec.size, [], []);
  return {
    reads: READS_NOTHING,
    forward({ inputs: [x], out }) {
      out.set(x);
    },
    backward({ dout, dinputs: [dx] }) {
      dx?.set(dout);
    },
  };
};

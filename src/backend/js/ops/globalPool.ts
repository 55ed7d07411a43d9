// Global pooling: [h, w, c] -> [c], the mean of each channel over all positions.
import type { GlobalPool2dOp } from '../../../layers/pooling';
import { globalAvgPool2dBackward, globalAvgPool2dForward, planGlobalPool } from '../pool';
import { Workspace } from '../workspace';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const globalPool: OpFactory<GlobalPool2dOp> = (spec, shape): JsOp => {
  const { count, c } = planGlobalPool(1, spec.inShape);
  expectShape(spec.type, shape, [count], c, [], []);
  const ws = new Workspace();
  return {
    reads: READS_NOTHING,
    forward({ inputs: [x], n, out }) {
      out.set(globalAvgPool2dForward(x, n, spec.inShape, ws));
    },
    backward({ dout, n, dinputs: [dx] }) {
      if (dx) dx.set(globalAvgPool2dBackward(dout, n, spec.inShape, ws));
    },
  };
};

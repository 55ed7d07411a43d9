// Global pooling: [h, w, c] -> [c], the mean (globalAvgPool2d) or the maximum (globalMaxPool2d) of
// each channel over all positions. Global max keeps the argmax of its training forward, so
// backward reads neither the input nor the output.
import type { GlobalPool2dOp } from '../../../layers/pooling';
import { OxnetError } from '../../../errors';
import { globalAvgPool2dBackward, globalAvgPool2dForward, globalMaxPool2dBackward, globalMaxPool2dForward, planGlobalPool } from '../pool';
import { Workspace } from '../workspace';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const globalPool: OpFactory<GlobalPool2dOp> = (spec, shape): JsOp => {
  if (spec.type !== 'globalAvgPool2d' && spec.type !== 'globalMaxPool2d')
    throw new OxnetError('E_CONFIG', `globalPool: unknown op type ${JSON.stringify(spec.type)}`);
  const { count, c } = planGlobalPool(1, spec.inShape);
  expectShape(spec.type, shape, [count], c, [], []);
  const ws = new Workspace();
  if (spec.type === 'globalAvgPool2d') {
    return {
      reads: READS_NOTHING,
      forward({ inputs: [x], n, out }) {
        out.set(globalAvgPool2dForward(x, n, spec.inShape, ws));
      },
      backward({ dout, n, dinputs: [dx] }) {
        if (dx) dx.set(globalAvgPool2dBackward(dout, n, spec.inShape, ws));
      },
    };
  }
  let argmax = new Int32Array(0);
  // Samples of the training forward `argmax` belongs to; 0: none (an inference forward came last).
  let argmaxFor = 0;
  return {
    reads: READS_NOTHING,
    forward({ inputs: [x], n, ctx, out }) {
      if (!ctx.training) {
        argmaxFor = 0;
        out.set(globalMaxPool2dForward(x, n, spec.inShape, ws));
        return;
      }
      if (argmax.length < n * c) argmax = new Int32Array(n * c);
      out.set(globalMaxPool2dForward(x, n, spec.inShape, ws, argmax.subarray(0, n * c)));
      argmaxFor = n;
    },
    backward({ dout, n, dinputs: [dx] }) {
      if (argmaxFor !== n) throw new OxnetError('E_STATE', 'globalMaxPool2d backward needs a training-mode forward of the same batch first');
      if (dx) dx.set(globalMaxPool2dBackward(argmax.subarray(0, n * c), dout, n, spec.inShape, ws));
    },
  };
};

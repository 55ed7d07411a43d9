// Max and average pooling (no parameters).
import type { Pool2dOp } from '../../../layers/pooling';
import type { Pool2dGeometry } from '../../types';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward, planPool2d } from '../pool';
import { Workspace } from '../workspace';
import { expectShape, type JsOp, type OpFactory } from './types';

export const pool2d: OpFactory<Pool2dOp> = (spec, shape): JsOp => {
  const g: Pool2dGeometry = { batch: 1, inShape: spec.inShape, pool: spec.pool, strides: spec.strides, padding: spec.padding };
  const plan = planPool2d(g);
  expectShape(spec.type, shape, [plan.xCount], plan.yCount, [], []);
  const isMax = spec.type === 'maxPool2d';
  const ws = new Workspace();
  return {
    reads: { inputs: isMax, output: false },
    forward({ inputs: [x], n, out }) {
      const gn = { ...g, batch: n };
      out.set(isMax ? maxPool2dForward(x, gn, ws) : avgPool2dForward(x, gn, ws));
    },
    backward({ inputs: [x], dout, n, dinputs: [dx] }) {
      if (!dx) return;
      const gn = { ...g, batch: n };
      dx.set(isMax ? maxPool2dBackward(x, dout, gn, ws) : avgPool2dBackward(x, dout, gn, ws));
    },
  };
};

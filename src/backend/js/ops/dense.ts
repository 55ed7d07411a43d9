// dense: y = f(x W + b), W [inputs x units]. Params [W, b?]. Keeps z (pre-activation) for backward.
import type { DenseOp } from '../../../layers/dense';
import type { FloatArray } from '../../spec';
import { activationBackwardInto, activationForwardInto, checkActivation } from '../activation';
import { alloc, checkInt } from '../check';
import { denseBackwardInto, denseForwardInto } from '../dense';
import { expectShape, type JsOp, type OpFactory } from './types';

export const dense: OpFactory<DenseOp> = (spec, shape): JsOp => {
  checkInt('dense.inputs', spec.inputs);
  checkInt('dense.units', spec.units);
  checkActivation(spec.activation);
  const { inputs, units, activation } = spec;
  expectShape('dense', shape, [inputs], units, spec.useBias ? [inputs * units, units] : [inputs * units], []);
  const linear = activation.kind === 'linear';
  let z: FloatArray = new Float32Array(0);
  let dz: FloatArray = new Float32Array(0);
  return {
    reads: { inputs: true, output: true },
    forward({ inputs: [x], n, params, out }) {
      if (linear) {
        denseForwardInto(x, params[0], params[1] ?? null, out, n, inputs, units);
        return;
      }
      if (z.length < out.length || z.constructor !== out.constructor) z = alloc(out, out.length);
      const pre = z.subarray(0, out.length);
      denseForwardInto(x, params[0], params[1] ?? null, pre, n, inputs, units);
      activationForwardInto(activation, pre, out, out.length, units);
    },
    preActivation: (_inputs, out) => (linear ? out : z.subarray(0, out.length)),
    backward({ inputs: [x], out, dout, fromPre, n, params, grads, dinputs }) {
      let dpre = dout;
      if (!linear && !fromPre) {
        if (dz.length < dout.length || dz.constructor !== dout.constructor) dz = alloc(dout, dout.length);
        dpre = dz.subarray(0, dout.length);
        activationBackwardInto(activation, z.subarray(0, out.length), out, dout, dpre, dout.length, units);
      }
      denseBackwardInto(x, params[0], dpre, dinputs[0], grads[0], grads[1] ?? null, n, inputs, units);
    },
  };
};

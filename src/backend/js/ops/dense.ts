// dense: y = f(x W + b), W [inputs x units]. Params [W, b?]. Keeps z (pre-activation) for backward.
// precision 'bfloat16': the products read x, W and dz rounded to bfloat16 (../bf16.ts); db does not.
import type { DenseOp } from '../../../layers/dense';
import type { FloatArray } from '../../spec';
import { activationBackwardInto, activationForwardInto, checkActivation } from '../activation';
import { Bf16Operands } from '../bf16';
import { alloc, checkInt } from '../check';
import { biasGradInto, denseBackwardInto, denseForwardInto } from '../dense';
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
  const bf16 = spec.precision === 'bfloat16' ? new Bf16Operands() : null;
  return {
    reads: { inputs: true, output: true },
    forward({ inputs: [x0], n, params, out }) {
      const x = bf16 ? bf16.round('x', x0, n * inputs) : x0;
      const w = bf16 ? bf16.round('w', params[0]) : params[0];
      if (linear) {
        denseForwardInto(x, w, params[1] ?? null, out, n, inputs, units);
        return;
      }
      if (z.length < out.length || z.constructor !== out.constructor) z = alloc(out, out.length);
      const pre = z.subarray(0, out.length);
      denseForwardInto(x, w, params[1] ?? null, pre, n, inputs, units);
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
      if (bf16) {
        const [xq, wq, dq] = [bf16.round('x', x, n * inputs), bf16.round('w', params[0]), bf16.round('dz', dpre, n * units)];
        denseBackwardInto(xq, wq, dq, dinputs[0], grads[0], null, n, inputs, units);
        if (grads[1]) biasGradInto(dpre, grads[1], n, units);
        return;
      }
      denseBackwardInto(x, params[0], dpre, dinputs[0], grads[0], grads[1] ?? null, n, inputs, units);
    },
  };
};

// conv2d: y = f(conv(x, K) + b), NHWC in and out, K [kh, kw, cin, filters]. Params [K, b?].
// precision 'bfloat16': the products read x, K and dy rounded to bfloat16 (../bf16.ts); db does not.
import type { Conv2dOp } from '../../../layers/conv2d';
import type { FloatArray } from '../../spec';
import type { Conv2dGeometry } from '../../types';
import { activationBackwardInto, activationForwardInto, checkActivation } from '../activation';
import { Bf16Operands } from '../bf16';
import { alloc } from '../check';
import { conv2dForward, conv2dGrads, planConv2d } from '../conv';
import { biasGradInto } from '../dense';
import { Workspace } from '../workspace';
import { expectShape, type JsOp, type OpFactory } from './types';

export const conv2d: OpFactory<Conv2dOp> = (spec, shape): JsOp => {
  checkActivation(spec.activation);
  const g: Conv2dGeometry = {
    batch: 1,
    inShape: spec.inShape,
    filters: spec.filters,
    kernel: spec.kernel,
    strides: spec.strides,
    padding: spec.padding,
    dilation: spec.dilation,
  };
  const plan = planConv2d(g); // refuses a bad geometry when the network is built
  expectShape('conv2d', shape, [plan.xCount], plan.yCount, spec.useBias ? [plan.wCount, spec.filters] : [plan.wCount], []);
  const act = spec.activation;
  const linear = act.kind === 'linear';
  const ws = new Workspace();
  let pre: FloatArray = new Float32Array(0);
  let dpre: FloatArray = new Float32Array(0);
  const bf16 = spec.precision === 'bfloat16' ? new Bf16Operands() : null;
  return {
    reads: { inputs: true, output: true },
    forward({ inputs: [x0], n, params, out }) {
      const x = bf16 ? bf16.round('x', x0, n * plan.xCount) : x0;
      const w = bf16 ? bf16.round('w', params[0]) : params[0];
      const z = conv2dForward(x, w, params[1] ?? null, { ...g, batch: n }, ws);
      if (linear) {
        out.set(z);
        return;
      }
      if (pre.length < z.length || pre.constructor !== z.constructor) pre = alloc(z, z.length);
      pre.set(z);
      // Softmax, if asked for, runs over the filters of each pixel.
      activationForwardInto(act, z, out, out.length, spec.filters);
    },
    preActivation: (_inputs, out) => (linear ? out : pre.subarray(0, out.length)),
    backward({ inputs: [x], out, dout, fromPre, n, params, grads, dinputs }) {
      let d = dout;
      if (!linear && !fromPre) {
        if (dpre.length < dout.length || dpre.constructor !== dout.constructor) dpre = alloc(dout, dout.length);
        d = dpre.subarray(0, dout.length);
        activationBackwardInto(act, pre.subarray(0, out.length), out, dout, d, dout.length, spec.filters);
      }
      const [xq, wq, dq] = bf16 ? [bf16.round('x', x, n * plan.xCount), bf16.round('w', params[0]), bf16.round('dy', d, d.length)] : [x, params[0], d];
      const r = conv2dGrads(xq, wq, dq, { ...g, batch: n }, dinputs[0] !== null, ws);
      grads[0].set(r.dw);
      if (grads.length > 1) {
        if (bf16) biasGradInto(d, grads[1], d.length / spec.filters, spec.filters);
        else grads[1].set(r.db);
      }
      if (dinputs[0] && r.dx) dinputs[0].set(r.dx);
    },
  };
};

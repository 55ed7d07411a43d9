// Element-wise merges of inputs of one shape: add, subtract (x0 - x1), multiply, average, and
// maximum, whose gradient goes to the first input holding the maximum (as the Rust op).
import type { MergeOp } from '../../../layers/merge';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const merge: OpFactory<MergeOp> = (spec, shape): JsOp => {
  checkInt('merge.size', spec.size);
  const ok = spec.kind === 'subtract' ? spec.count === 2 : Number.isInteger(spec.count) && spec.count >= 2;
  if (!ok || !['add', 'subtract', 'multiply', 'average', 'maximum'].includes(spec.kind)) {
    throw new OxnetError('E_CONFIG', `merge ${String(spec.kind)}: ${spec.count} inputs given`);
  }
  expectShape('merge', shape, Array(spec.count).fill(spec.size), spec.size, [], []);
  const kind = spec.kind;
  return {
    reads: kind === 'multiply' || kind === 'maximum' ? { inputs: true, output: false } : READS_NOTHING,
    forward({ inputs, out }) {
      out.set(inputs[0]);
      const len = out.length;
      for (let k = 1; k < inputs.length; k++) {
        const x = inputs[k];
        if (kind === 'add' || kind === 'average') for (let i = 0; i < len; i++) out[i] += x[i];
        else if (kind === 'subtract') for (let i = 0; i < len; i++) out[i] -= x[i];
        else if (kind === 'multiply') for (let i = 0; i < len; i++) out[i] *= x[i];
        else for (let i = 0; i < len; i++) if (x[i] > out[i]) out[i] = x[i];
      }
      if (kind === 'average') {
        const scale = 1 / inputs.length;
        for (let i = 0; i < len; i++) out[i] *= scale;
      }
    },
    backward({ inputs, dout, dinputs }) {
      const k = inputs.length;
      const len = dout.length;
      dinputs.forEach((dx, j) => {
        if (!dx) return;
        if (kind === 'add') dx.set(dout);
        else if (kind === 'subtract') {
          if (j === 0) dx.set(dout);
          else for (let i = 0; i < len; i++) dx[i] = -dout[i];
        } else if (kind === 'average') {
          const scale = 1 / k;
          for (let i = 0; i < len; i++) dx[i] = dout[i] * scale;
        } else if (kind === 'multiply') {
          dx.set(dout);
          for (let m = 0; m < k; m++) if (m !== j) for (let i = 0; i < len; i++) dx[i] *= inputs[m][i];
        } else {
          for (let i = 0; i < len; i++) {
            const v = inputs[j][i];
            let wins = true;
            for (let m = 0; m < k && wins; m++) if (m !== j && (m < j ? inputs[m][i] >= v : inputs[m][i] > v)) wins = false;
            dx[i] = wins ? dout[i] : 0;
          }
        }
      });
    },
  };
};

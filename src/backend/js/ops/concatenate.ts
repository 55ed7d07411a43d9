// Concatenation as a strided copy: per sample `outer` rows, input k giving `widths[k]` floats of
// each output row, input after input. Backward splits dout the same way.
import type { ConcatenateOp } from '../../../layers/concatenate';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const concatenate: OpFactory<ConcatenateOp> = (spec, shape): JsOp => {
  checkInt('concatenate.outer', spec.outer);
  if (!Array.isArray(spec.widths) || spec.widths.length < 2) {
    throw new OxnetError('E_CONFIG', `concatenate: widths must list at least two inputs, got ${JSON.stringify(spec.widths)}`);
  }
  spec.widths.forEach((w, k) => {
    checkInt(`concatenate.widths[${k}]`, w);
  });
  const { outer, widths } = spec;
  const total = widths.reduce((a, w) => a + w, 0);
  // Where input k starts in each output row.
  const starts = widths.map((_, k) => widths.slice(0, k).reduce((a, w) => a + w, 0));
  expectShape(
    'concatenate',
    shape,
    widths.map((w) => outer * w),
    outer * total,
    [],
    [],
  );
  return {
    reads: READS_NOTHING,
    forward({ inputs, n, out }) {
      for (let k = 0; k < widths.length; k++) {
        const x = inputs[k];
        const w = widths[k];
        for (let r = 0, xo = 0, o = starts[k]; r < n * outer; r++, xo += w, o += total) {
          for (let i = 0; i < w; i++) out[o + i] = x[xo + i];
        }
      }
    },
    backward({ dout, n, dinputs }) {
      for (let k = 0; k < widths.length; k++) {
        const dx = dinputs[k];
        if (!dx) continue;
        const w = widths[k];
        for (let r = 0, xo = 0, o = starts[k]; r < n * outer; r++, xo += w, o += total) {
          for (let i = 0; i < w; i++) dx[xo + i] = dout[o + i];
        }
      }
    },
  };
};

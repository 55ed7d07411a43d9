// Inverted dropout: active in training only, the mask drawn per docs/kernels.md from the network
// seed, the global step and this node's index, so both backends drop the same elements.
import type { DropoutOp } from '../../../layers/dropout';
import { dropoutSeed } from '../../../random';
import { checkInt } from '../check';
import { checkDropoutRate, dropoutBackward, dropoutForward } from '../norm';
import { Workspace } from '../workspace';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const dropout: OpFactory<DropoutOp> = (spec, shape): JsOp => {
  checkInt('dropout.size', spec.size);
  checkDropoutRate(spec.rate);
  expectShape('dropout', shape, [spec.size], spec.size, [], []);
  const ws = new Workspace();
  let keep: Uint8Array | null = null;
  return {
    reads: READS_NOTHING,
    forward({ inputs: [x], out, ctx }) {
      if (!ctx.training || spec.rate === 0) {
        keep = null;
        out.set(x);
        return;
      }
      const r = dropoutForward(x, spec.rate, dropoutSeed(ctx.seed, ctx.step, ctx.node), ws);
      keep = r.keep;
      out.set(r.y);
    },
    backward({ dout, dinputs: [dx] }) {
      if (!dx) return;
      dx.set(keep === null ? dout : dropoutBackward(dout, keep, spec.rate, ws));
    },
  };
};

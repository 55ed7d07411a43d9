// dropout: inverted dropout in training (kept values scaled by 1 / (1 - rate)), identity in
// inference; masks drawn from the network seed, the step and the node (docs/kernels.md).
import { elementCount, Layer, numberIn, single, type CommonLayerConfig, type LayerDef } from './layer';

export interface DropoutConfig extends CommonLayerConfig {
  /** Fraction of inputs dropped in training, in [0, 1). */
  rate: number;
}

export interface DropoutOp {
  type: 'dropout';
  size: number;
  rate: number;
}

export const dropoutDef: LayerDef<{ rate: number }> = {
  type: 'dropout',
  inputs: 'one',
  keys: ['rate'],
  config: (raw) => ({ rate: numberIn(raw.rate, 'dropout rate', (v) => v >= 0 && v < 1, 'in [0, 1)') }),
  build(c, [shape], ctx) {
    const op: DropoutOp = { type: 'dropout', size: elementCount(shape, `${ctx.where} input shape`), rate: c.rate };
    return single(op, [...shape], [], [], 1);
  },
};

export function dropout(config: DropoutConfig): Layer<{ rate: number }> {
  return new Layer(dropoutDef, config);
}

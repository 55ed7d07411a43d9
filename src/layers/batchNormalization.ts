// batchNormalization over the last (channel) axis; parameters gamma, beta; state running mean,
// variance (training: batch statistics, running ones updated; inference: running ones).
import { elementCount, Layer, numberIn, single, type CommonLayerConfig, type LayerDef } from './layer';

export interface BatchNormalizationConfig extends CommonLayerConfig {
  /** Running statistics: r = momentum r + (1 - momentum) batch. Default 0.99. */
  momentum?: number;
  /** Default 1e-3, as Keras. */
  epsilon?: number;
}

export interface BatchNormOp {
  type: 'batchNorm';
  size: number;
  channels: number;
  momentum: number;
  epsilon: number;
}

export const batchNormalizationDef: LayerDef<{ momentum: number; epsilon: number }> = {
  type: 'batchNormalization',
  inputs: 'one',
  keys: ['momentum', 'epsilon'],
  config: (raw) => ({
    momentum: numberIn(raw.momentum ?? 0.99, 'batchNormalization momentum', (v) => v >= 0 && v < 1, 'in [0, 1)'),
    epsilon: numberIn(raw.epsilon ?? 1e-3, 'batchNormalization epsilon', (v) => v > 0, 'a positive number'),
  }),
  build(c, [shape], ctx) {
    const size = elementCount(shape, `${ctx.where} input shape`);
    const channels = shape[shape.length - 1];
    const filled = (v: number) => () => new Float32Array(channels).fill(v);
    const op: BatchNormOp = { type: 'batchNorm', size, channels, momentum: c.momentum, epsilon: c.epsilon };
    const params = [
      { name: 'gamma', shape: [channels], init: filled(1) },
      { name: 'beta', shape: [channels], init: filled(0) },
    ];
    const state = [
      { name: 'runningMean', shape: [channels], init: filled(0) },
      { name: 'runningVar', shape: [channels], init: filled(1) },
    ];
    return single(op, [...shape], params, state, 1);
  },
};

export function batchNormalization(config: BatchNormalizationConfig = {}): Layer<{ momentum: number; epsilon: number }> {
  return new Layer(batchNormalizationDef, config);
}

// flatten and reshape: no data movement, the flat channels-last buffer is already in order.
import { OxnetError } from '../errors';
import { elementCount, Layer, single, type CommonLayerConfig, type LayerDef } from './layer';

/** The backend op: a copy (the same floats under another shape). */
export interface ReshapeOp {
  type: 'reshape';
  size: number;
}

export const flattenDef: LayerDef<Record<string, never>> = {
  type: 'flatten',
  inputs: 'one',
  keys: [],
  config: () => ({}),
  build(_c, [shape], ctx) {
    const size = elementCount(shape, `${ctx.where} input shape`);
    const op: ReshapeOp = { type: 'reshape', size };
    return single(op, [size], [], [], 1);
  },
};

export function flatten(config: CommonLayerConfig = {}): Layer<Record<string, never>> {
  return new Layer(flattenDef, config);
}

export interface ReshapeConfig extends CommonLayerConfig {
  /** Target shape of one sample; one entry may be -1 (inferred). */
  targetShape: number[];
}

export const reshapeDef: LayerDef<{ targetShape: number[] }> = {
  type: 'reshape',
  inputs: 'one',
  keys: ['targetShape'],
  config(raw) {
    const t = raw.targetShape;
    if (!Array.isArray(t) || t.length === 0 || t.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || t.filter((d) => d === -1).length > 1) {
      throw new OxnetError('E_CONFIG', `reshape targetShape must be positive integers with at most one -1, got ${JSON.stringify(t)}`);
    }
    return { targetShape: [...t] };
  },
  build(c, [shape], ctx) {
    const size = elementCount(shape, `${ctx.where} input shape`);
    const known = elementCount(
      c.targetShape.filter((d) => d !== -1),
      'reshape targetShape',
    );
    const target = c.targetShape.map((d) => (d === -1 ? size / known : d));
    if (target.some((d) => !Number.isInteger(d)) || elementCount(target, 'reshape targetShape') !== size) {
      throw new OxnetError(
        'E_CONFIG',
        `${ctx.where}: targetShape ${JSON.stringify(c.targetShape)} does not hold the ${size} elements of input shape ${JSON.stringify(shape)}`,
      );
    }
    const op: ReshapeOp = { type: 'reshape', size };
    return single(op, target, [], [], 1);
  },
};

export function reshape(config: ReshapeConfig): Layer<{ targetShape: number[] }> {
  return new Layer(reshapeDef, config);
}

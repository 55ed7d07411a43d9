// flatten and reshape: no data movement, the flat buffer is already in order (channels-last).
import { OxnetError } from '../errors';
import { Layer, elementCount, type BuiltLayer, type CommonLayerConfig, type SampleShape } from './layer';

export class Flatten extends Layer {
  readonly type = 'flatten' as const;

  constructor(config: CommonLayerConfig = {}) {
    super(config);
  }

  getConfig(): Record<string, unknown> {
    return this.commonConfig();
  }

  build(inputShape: SampleShape): BuiltLayer {
    const size = elementCount(inputShape, 'flatten input shape');
    return { spec: { type: 'reshape', size }, outputShape: [size], params: [], state: [] };
  }
}

export function flatten(config: CommonLayerConfig = {}): Flatten {
  return new Flatten(config);
}

export interface ReshapeConfig extends CommonLayerConfig {
  /** Target shape of one sample; one entry may be -1 (inferred). */
  targetShape: number[];
}

export class Reshape extends Layer {
  readonly type = 'reshape' as const;
  readonly targetShape: number[];

  constructor(config: ReshapeConfig) {
    super(config);
    const t = config?.targetShape;
    if (!Array.isArray(t) || t.length === 0 || t.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || t.filter((d) => d === -1).length > 1) {
      throw new OxnetError('E_CONFIG', `reshape targetShape must be positive integers with at most one -1, got ${JSON.stringify(t)}`);
    }
    this.targetShape = [...t];
  }

  getConfig(): Record<string, unknown> {
    return { ...this.commonConfig(), targetShape: [...this.targetShape] };
  }

  build(inputShape: SampleShape): BuiltLayer {
    const size = elementCount(inputShape, 'reshape input shape');
    const known = elementCount(
      this.targetShape.filter((d) => d !== -1),
      'reshape targetShape',
    );
    const shape = this.targetShape.map((d) => (d === -1 ? size / known : d));
    if (shape.some((d) => !Number.isInteger(d)) || elementCount(shape, 'reshape targetShape') !== size) {
      throw new OxnetError(
        'E_CONFIG',
        `reshape targetShape ${JSON.stringify(this.targetShape)} does not hold the ${size} elements of input shape ${JSON.stringify(inputShape)}`,
      );
    }
    return { spec: { type: 'reshape', size }, outputShape: shape, params: [], state: [] };
  }
}

export function reshape(config: ReshapeConfig): Reshape {
  return new Reshape(config);
}

// Sequential: a chain of layers, each fed the previous one's output, built into the same graph
// a functional model has (an input, then one application per layer).
import { OxnetError, showValue } from '../errors';
import { buildGraph, type ModelGraph } from '../graph/graph';
import { input } from '../graph/symbolic';
import { Layer } from '../layers/layer';
import { Model, type ModelOptions } from './model';
import type { TensorLike } from './tensors';

export interface SequentialOptions extends ModelOptions {
  layers?: Layer[];
}

export class Sequential extends Model {
  private readonly stack: Layer[] = [];

  constructor(opts: SequentialOptions = {}) {
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
      throw new OxnetError('E_ARG', `Sequential takes an options object ({ seed, layers, backend, name }), got ${showValue(opts)}`);
    }
    const { layers, ...rest } = opts;
    if ('inputs' in rest || 'outputs' in rest)
      throw new OxnetError('E_ARG', 'Sequential takes layers, not inputs and outputs (use model({ inputs, outputs }))');
    super(rest);
    if (layers !== undefined) {
      if (!Array.isArray(layers)) throw new OxnetError('E_ARG', `Sequential layers must be an array of layers, got ${showValue(layers)}`);
      for (const layer of layers) this.add(layer);
    }
  }

  add(layer: Layer): this {
    if (!(layer instanceof Layer)) {
      throw new OxnetError(
        'E_ARG',
        `add takes a layer (layers.dense({ units: 4 }), ...), got ${layer === null ? 'null' : typeof layer === 'object' ? 'an object that is not a layer' : `${typeof layer} ${showValue(layer)}`}`,
      );
    }
    if (this.built) throw new OxnetError('E_STATE', `cannot add layer ${layer.name ?? layer.type}: the model is already built`);
    if (this.stack.length > 0 && layer.declaredInputShape !== undefined) {
      throw new OxnetError(
        'E_CONFIG',
        `inputShape belongs on the first layer only, got ${JSON.stringify(layer.declaredInputShape)} on layer ${this.stack.length}`,
      );
    }
    if (this.stack.includes(layer))
      throw new OxnetError(
        'E_CONFIG',
        `layer ${layer.name ?? layer.type} is already in this model (a Sequential applies each layer once; use model({ inputs, outputs }) to share one)`,
      );
    this.stack.push(layer);
    return this;
  }

  override get kind(): 'sequential' {
    return 'sequential';
  }

  /** The layers added so far (the model need not be built). */
  override get layers(): readonly Layer[] {
    return [...this.stack];
  }

  /** Outputs for n samples: a flat Float32Array of n * outputSize values (sample-major). */
  override predict(x: TensorLike): Float32Array {
    return super.predict(x) as Float32Array;
  }

  override async predictAsync(x: TensorLike): Promise<Float32Array> {
    return (await super.predictAsync(x)) as Float32Array;
  }

  /** Runs the layers after the bottleneck (or `layer`) on codes: the decoder, sharing the weights. */
  override decode(code: TensorLike, layer?: string | number): Float32Array {
    return super.decode(code, layer) as Float32Array;
  }

  protected override makeGraph(): ModelGraph {
    const first = this.stack[0];
    if (!first) throw new OxnetError('E_CONFIG', 'the model has no layers');
    if (!first.declaredInputShape) throw new OxnetError('E_CONFIG', `the first layer (${first.type}) needs inputShape or inputDim`);
    const x = input({ shape: first.declaredInputShape, name: 'input' });
    let h = x;
    for (const layer of this.stack) h = layer.apply(h);
    return buildGraph(x, h);
  }
}

/** Keras-style factory: sequential({ layers: [...], seed }). */
export function sequential(opts: SequentialOptions = {}): Sequential {
  return new Sequential(opts);
}

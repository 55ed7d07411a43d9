// The element-wise merges (Keras's Add, Subtract, Multiply, Average, Maximum): inputs of one shape
// in, that shape out. subtract takes exactly two (x0 - x1); maximum's gradient goes to the first
// input holding the maximum.
import { OxnetError } from '../errors';
import { Layer, single, size, type CommonLayerConfig, type LayerDef } from './layer';

export type MergeKind = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum';

export interface MergeOp {
  type: 'merge';
  kind: MergeKind;
  size: number;
  count: number;
}

function mergeDef(kind: MergeKind): LayerDef<Record<string, never>> {
  return {
    type: kind,
    inputs: 'many',
    keys: [],
    config: () => ({}),
    build(_c, shapes, ctx) {
      if (kind === 'subtract' && shapes.length !== 2)
        throw new OxnetError('E_CONFIG', `${ctx.where} (subtract) takes exactly two inputs, got ${shapes.length}`);
      const first = JSON.stringify(shapes[0]);
      const other = shapes.findIndex((s) => JSON.stringify(s) !== first);
      if (other >= 0) {
        throw new OxnetError('E_CONFIG', `${ctx.where} (${kind}) needs inputs of one shape, got ${shapes.map((s) => JSON.stringify(s)).join(' and ')}`);
      }
      const op: MergeOp = { type: 'merge', kind, size: size(shapes[0]), count: shapes.length };
      return single(op, [...shapes[0]], [], [], shapes.length);
    },
  };
}

export const addDef = mergeDef('add');
export const subtractDef = mergeDef('subtract');
export const multiplyDef = mergeDef('multiply');
export const averageDef = mergeDef('average');
export const maximumDef = mergeDef('maximum');

type Merge = Layer<Record<string, never>>;
export const add = (config: CommonLayerConfig = {}): Merge => new Layer(addDef, config);
export const subtract = (config: CommonLayerConfig = {}): Merge => new Layer(subtractDef, config);
export const multiply = (config: CommonLayerConfig = {}): Merge => new Layer(multiplyDef, config);
export const average = (config: CommonLayerConfig = {}): Merge => new Layer(averageDef, config);
export const maximum = (config: CommonLayerConfig = {}): Merge => new Layer(maximumDef, config);

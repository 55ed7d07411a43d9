// concatenate: joins its inputs along one axis (Keras's Concatenate). `axis` counts as in Keras,
// the batch axis being 0: -1 (the default) is the last axis (the channels of [h, w, c] images, the
// features of vectors), 1 the first axis of a sample, -2 the one before the last; axis 0, the batch
// axis, is refused. Every input has the same rank and agrees with the others on every axis but
// that one; the output's size along it is the sum of theirs. No parameters; the gradient of each
// input is its slice of the output's.
import { OxnetError, showValue } from '../errors';
import { elementCount, Layer, single, size, type CommonLayerConfig, type LayerDef } from './layer';

export interface ConcatenateConfig extends CommonLayerConfig {
  /** The axis to join along, Keras-style (the batch axis is 0, so 1 is a sample's first). Default -1. */
  axis?: number;
}

/**
 * The backend op, a strided copy: per sample, `outer` rows (the product of the dims before the
 * axis), and in each row input k contributes `widths[k]` floats (the product of its dims from the
 * axis on), input after input.
 */
export interface ConcatenateOp {
  type: 'concatenate';
  outer: number;
  widths: number[];
}

export interface ConcatenateSettings {
  axis: number;
}

export const concatenateDef: LayerDef<ConcatenateSettings> = {
  type: 'concatenate',
  inputs: 'many',
  keys: ['axis'],
  config(raw) {
    const axis = raw.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new OxnetError('E_CONFIG', `concatenate axis must be an integer, got ${showValue(axis)}`);
    if (axis === 0) throw new OxnetError('E_CONFIG', 'concatenate axis 0 is the batch axis; join along an axis of the samples (1, 2, ... or -1, -2, ...)');
    return { axis };
  },
  build(c, shapes, ctx) {
    const rank = shapes[0].length;
    const at = c.axis < 0 ? rank + c.axis : c.axis - 1;
    if (at < 0 || at >= rank) {
      throw new OxnetError(
        'E_CONFIG',
        `${ctx.where} (concatenate): axis ${c.axis} is not an axis of inputs of shape ${JSON.stringify(shapes[0])} (rank ${rank}; axis 0 is the batch)`,
      );
    }
    const agree = (s: number[]) => s.length === rank && s.every((d, i) => i === at || d === shapes[0][i]);
    if (!shapes.every(agree)) {
      throw new OxnetError(
        'E_CONFIG',
        `${ctx.where} (concatenate) needs inputs that agree on every axis but axis ${c.axis}, got ${shapes.map((s) => JSON.stringify(s)).join(' and ')}`,
      );
    }
    const out = [...shapes[0]];
    out[at] = shapes.reduce((a, s) => a + s[at], 0);
    elementCount(out, `${ctx.where} output shape`);
    const op: ConcatenateOp = { type: 'concatenate', outer: size(out.slice(0, at)), widths: shapes.map((s) => size(s.slice(at))) };
    return single(op, out, [], [], shapes.length);
  },
};

export function concatenate(config: ConcatenateConfig = {}): Layer<ConcatenateSettings> {
  return new Layer(concatenateDef, config);
}

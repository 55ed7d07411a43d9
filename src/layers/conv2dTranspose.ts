// conv2dTranspose: the transposed 2-D convolution (Keras Conv2DTranspose, sometimes called a
// deconvolution), channels-last, kernel [kh, kw, filters, inChannels]. It is the gradient of a
// conv2d with respect to its input: every input pixel scatters its kernel-weighted window onto
// an output `strides` times larger. Output size per axis, as Keras (deconv_output_length):
//   'valid': (in - 1) * stride + kernel + outputPadding  (no outputPadding: max(stride - kernel, 0))
//   'same':  in * stride                                  (no outputPadding)
//            (in - 1) * stride + kernel % 2 + outputPadding (an outputPadding given)
// outputPadding (per axis, below the stride) picks one of the output sizes a strided conv2d maps
// back onto the input size. dilationRate must be 1. Params [kernel, bias?].
import type { Shape3 } from '../backend/spec';
import { OxnetError, showValue } from '../errors';
import { initialize, type InitializerName, type InitializerSpec } from '../initializers';
import type { ConvWindowConfig, ConvWindowOp } from './conv2d';
import { type DenseSettings, unitSettings } from './dense';
import { elementCount, Layer, nonNegativeInt, pair, positiveInt, requireRank, single, type BuildContext, type Built, type LayerDef } from './layer';

export interface Conv2dTransposeConfig extends ConvWindowConfig {
  filters: number;
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Per axis, below the stride; default none (Keras's None: the sizes above). */
  outputPadding?: number | [number, number] | null;
  /** Only 1. */
  dilationRate?: number | [number, number];
  kernelInitializer?: InitializerName | InitializerSpec;
}

/**
 * The backend op: y = f(convT(x, K) + b), x [inShape], y [outShape], K [kh, kw, outShape[2],
 * inShape[2]]. It is the input gradient of the conv2d over [outShape] with this kernel (HWIO, its
 * inChannels outShape[2] and filters inShape[2]), strides and `padding`, whose output is [inShape].
 */
export interface Conv2dTransposeOp extends ConvWindowOp {
  type: 'conv2dTranspose';
  outShape: Shape3;
  /** [top, bottom, left, right] of that conv2d: what is cropped off the full scatter. */
  padding: [number, number, number, number];
}

export interface Conv2dTransposeSettings extends Omit<DenseSettings, 'units'> {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  outputPadding: [number, number] | null;
  dilationRate: [number, number];
}

/**
 * Output length and the conv2d padding [before, after] of one axis (Keras's deconv_output_length,
 * and the padding TensorFlow's conv2d_transpose implies: SAME pads max(full - out, 0), the odd
 * one after; VALID none). `full` = (in - 1) * stride + kernel is the uncropped scatter.
 */
export function transposeAxis(
  input: number,
  kernel: number,
  stride: number,
  padding: 'valid' | 'same',
  outputPadding: number | null,
): { out: number; before: number; after: number } {
  let out: number;
  if (padding === 'valid') out = (input - 1) * stride + kernel + (outputPadding ?? Math.max(stride - kernel, 0));
  else out = outputPadding === null ? input * stride : (input - 1) * stride + (kernel % 2) + outputPadding;
  const total = Math.max((input - 1) * stride + kernel - out, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

export const conv2dTransposeDef: LayerDef<Conv2dTransposeSettings> = {
  type: 'conv2dTranspose',
  inputs: 'one',
  keys: [
    'filters',
    'kernelSize',
    'strides',
    'padding',
    'outputPadding',
    'dilationRate',
    'useBias',
    'activation',
    'beta',
    'alpha',
    'kernelInitializer',
    'biasInitializer',
  ],
  config(raw) {
    const L = 'conv2dTranspose';
    const kernelSize = pair(raw.kernelSize, `${L} kernelSize`);
    const strides = pair(raw.strides ?? 1, `${L} strides`);
    const dilationRate = pair(raw.dilationRate ?? 1, `${L} dilationRate`);
    if (dilationRate[0] !== 1 || dilationRate[1] !== 1) {
      throw new OxnetError('E_CONFIG', `${L} dilationRate must be 1, got ${showValue(raw.dilationRate)}`);
    }
    const padding = raw.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') {
      throw new OxnetError('E_CONFIG', `${L} padding must be 'valid' or 'same', got ${showValue(padding)}`);
    }
    let outputPadding: [number, number] | null = null;
    if (raw.outputPadding !== undefined && raw.outputPadding !== null) {
      const op = raw.outputPadding;
      if (typeof op === 'number') outputPadding = [nonNegativeInt(op, `${L} outputPadding`), op];
      else if (Array.isArray(op) && op.length === 2)
        outputPadding = [nonNegativeInt(op[0], `${L} outputPadding[0]`), nonNegativeInt(op[1], `${L} outputPadding[1]`)];
      else throw new OxnetError('E_CONFIG', `${L} outputPadding must be a non-negative integer or [h, w], got ${showValue(op)}`);
      outputPadding.forEach((p, i) => {
        if (p >= strides[i]) {
          throw new OxnetError(
            'E_CONFIG',
            `${L} outputPadding ${JSON.stringify(outputPadding)} must be less than strides ${JSON.stringify(strides)} on each axis`,
          );
        }
      });
    }
    return { filters: positiveInt(raw.filters, `${L} filters`), kernelSize, strides, padding, outputPadding, dilationRate, ...unitSettings(raw, L) };
  },
  build(c, [shape], ctx: BuildContext): Built {
    requireRank(shape, 3, ctx, '[height, width, channels]');
    const [h, w, ch] = shape;
    const [kh, kw] = c.kernelSize;
    const rows = transposeAxis(h, kh, c.strides[0], c.padding, c.outputPadding?.[0] ?? null);
    const cols = transposeAxis(w, kw, c.strides[1], c.padding, c.outputPadding?.[1] ?? null);
    if (rows.out < 1 || cols.out < 1) {
      throw new OxnetError(
        'E_CONFIG',
        `${ctx.where}: output size [${rows.out}, ${cols.out}] of input [${h}, ${w}] is empty (kernel [${kh}, ${kw}], padding '${c.padding}', outputPadding ${JSON.stringify(c.outputPadding)})`,
      );
    }
    const kernelCount = elementCount([kh, kw, c.filters, ch], 'conv2dTranspose kernel shape');
    elementCount([rows.out, cols.out, c.filters], 'conv2dTranspose output shape');
    // Keras's fans of a kernel [kh, kw, filters, inChannels]: the last two axes are "in, out".
    const fans = { fanIn: kh * kw * c.filters, fanOut: kh * kw * ch };
    const params: Built['params'] = [
      { name: 'kernel', shape: [kh, kw, c.filters, ch], init: (next) => initialize(c.kernelInitializer, kernelCount, fans, next) },
    ];
    if (c.useBias) params.push({ name: 'bias', shape: [c.filters], init: (next) => initialize(c.biasInitializer, c.filters, fans, next) });
    const op: Conv2dTransposeOp = {
      type: 'conv2dTranspose',
      inShape: [h, w, ch],
      outShape: [rows.out, cols.out, c.filters],
      kernel: [kh, kw],
      strides: [...c.strides],
      padding: [rows.before, rows.after, cols.before, cols.after],
      useBias: c.useBias,
      activation: { ...c.activation },
    };
    return single(op, [rows.out, cols.out, c.filters], params, [], 1, c.activation);
  },
};

export function conv2dTranspose(config: Conv2dTransposeConfig): Layer<Conv2dTransposeSettings> {
  return new Layer(conv2dTransposeDef, config);
}

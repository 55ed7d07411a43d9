// Padding as users write it ('valid', 'same', n, [t, b, l, r], [[t, b], [l, r]]) -> [t, b, l, r].
import { OxnetError } from '../errors';
import { nonNegativeInt } from './layer';

export type PaddingArg = 'valid' | 'same' | number | [number, number, number, number] | [[number, number], [number, number]];

export function resolvePadding(
  padding: PaddingArg,
  input: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number],
  param: string,
): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    // docs/kernels.md: out = ceil(in / stride); total = max((out-1) stride + dilation (k-1) + 1 - in, 0).
    const side = (i: number) => {
      const out = Math.ceil(input[i] / strides[i]);
      const total = Math.max((out - 1) * strides[i] + dilation[i] * (kernel[i] - 1) + 1 - input[i], 0);
      const before = Math.floor(total / 2);
      return [before, total - before];
    };
    return [...side(0), ...side(1)] as [number, number, number, number];
  }
  if (typeof padding === 'number') {
    const p = nonNegativeInt(padding, param);
    return [p, p, p, p];
  }
  if (Array.isArray(padding) && padding.length === 4) {
    return padding.map((p, i) => nonNegativeInt(p, `${param}[${i}]`)) as [number, number, number, number];
  }
  if (Array.isArray(padding) && padding.length === 2 && padding.every((p) => Array.isArray(p) && p.length === 2)) {
    const [[t, b], [l, r]] = padding as [[number, number], [number, number]];
    return [nonNegativeInt(t, `${param}[0][0]`), nonNegativeInt(b, `${param}[0][1]`), nonNegativeInt(l, `${param}[1][0]`), nonNegativeInt(r, `${param}[1][1]`)];
  }
  throw new OxnetError('E_CONFIG', `${param} must be 'valid', 'same', n, [t, b, l, r] or [[t, b], [l, r]], got ${JSON.stringify(padding)}`);
}

/** floor((in + before + after - window) / stride) + 1, refusing a window larger than the padded input. */
export function outputSize(input: number, before: number, after: number, window: number, stride: number, layer: string, axis: string): number {
  const padded = input + before + after;
  if (window > padded) {
    throw new OxnetError(
      'E_CONFIG',
      `${layer}: window of ${window} (kernel with dilation) is larger than the padded input ${axis} ${padded} (input ${input}, padding ${before}+${after})`,
    );
  }
  return Math.floor((padded - window) / stride) + 1;
}

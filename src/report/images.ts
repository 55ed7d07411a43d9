// Pictures for the report: whether the input is an image (and its [h, w, c]), images as bytes
// (base64) the page draws on canvases, and the first convolution's filters.
import type { ModelGraph } from '../graph/graph';

/** Bytes for the page: base64 of h * w * c values in 0..255, row-major, channels last. */
export interface EncodedImage {
  data: string;
}

/** [h, w, c] of the model's input when it is an image (rank 3 with 1 or 3 channels), else null. */
export function imageShape(g: ModelGraph, given?: [number, number, number]): [number, number, number] | null {
  if (given) return given;
  if (g.inputs.length !== 1) return null;
  const { shape, channelsFirst } = g.inputs[0];
  if (shape.length !== 3) return null;
  const [h, w, c] = channelsFirst ? [shape[1], shape[2], shape[0]] : shape;
  return c === 1 || c === 3 ? [h, w, c] : null;
}

/** The value range every picture of one kind is drawn with (so that two images compare). */
export function range(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Values mapped linearly from [lo, hi] to 0..255 (clamped), as base64. */
export function encodeBytes(values: ArrayLike<number>, lo: number, hi: number): EncodedImage {
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number.isFinite(values[i]) ? (values[i] - lo) * scale : 0;
    bytes[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  return { data: Buffer.from(bytes).toString('base64') };
}

export interface Filters {
  layer: string;
  /** [kh, kw, channels drawn]: 3 drawn as colour, 1 on a diverging scale (0 -> 128). */
  shape: [number, number, number];
  images: EncodedImage[];
}

/**
 * The first conv2d layer's kernels (HWIO [kh, kw, in, filters]), one picture per filter. A
 * 3-channel input is drawn as colour, each filter stretched to its own range; otherwise the mean
 * over input channels on a diverging scale, symmetric about 0 per filter, so sign shows as hue.
 */
export function firstConvFilters(g: ModelGraph, weights: Float32Array[]): Filters | null {
  const layer = g.layers.find((l) => l.layer.type === 'conv2d');
  if (!layer) return null;
  const kernel = g.params[layer.params[0]];
  const w = weights[layer.params[0]];
  const [kh, kw, cin, count] = kernel.shape;
  const colour = cin === 3;
  const images: EncodedImage[] = [];
  for (let f = 0; f < count; f++) {
    const px = new Float32Array(kh * kw * (colour ? 3 : 1));
    for (let p = 0; p < kh * kw; p++) {
      if (colour) for (let c = 0; c < 3; c++) px[p * 3 + c] = w[(p * cin + c) * count + f];
      else {
        let s = 0;
        for (let c = 0; c < cin; c++) s += w[(p * cin + c) * count + f];
        px[p] = s / cin;
      }
    }
    if (colour) {
      const [lo, hi] = range(px);
      images.push(encodeBytes(px, lo, hi));
    } else {
      const [lo, hi] = range(px);
      const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      images.push(encodeBytes(px, -m, m));
    }
  }
  return { layer: layer.name, shape: [kh, kw, colour ? 3 : 1], images };
}

/** Sample `i` of an NHWC batch as pixels: all of its channels when c is 1 or 3. */
export function sampleImage(x: Float32Array, i: number, shape: [number, number, number], lo: number, hi: number): EncodedImage {
  const size = shape[0] * shape[1] * shape[2];
  return encodeBytes(x.subarray(i * size, (i + 1) * size), lo, hi);
}

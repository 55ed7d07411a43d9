// exportOnnx: a model's graph as an ONNX file (opset 17 to 21) that ONNX Runtime and the other
// ONNX tools run. The exported graph takes the same inputs as oxnet's predict: raw (the
// normalizer becomes Sub / Div nodes in front) and channels-last (NHWC, or NCHW for an input a
// channelsFirst conv2d reads). ONNX's Conv, pooling, BatchNormalization and Resize are NCHW, so
// each value lives in one layout or both: a Transpose is emitted only where a node needs the
// layout its input is not in (conv weights are permuted from oxnet's HWIO to OIHW once). Flatten,
// reshape, dense, concatenate and layer norm read channels-last values, so the flattening order
// is oxnet's.
import { OxnetError, showValue } from '../errors';
import type { ModelGraph } from '../graph/graph';
import type { OpSpec } from '../layers';
import type { ActivationSpec } from '../backend/spec';
import type { Model } from '../model/model';
import { writeFileAtomic } from '../io/save';
import { ATTR, DTYPE, ModelProto } from './proto';

export const ONNX_OPSETS = { min: 17, max: 21 } as const;

export interface OnnxExportOptions {
  /** The ONNX opset to target, 17 (default) to 21. */
  opset?: number;
}

type Layout = 'nhwc' | 'nchw';
type Attr = Record<string, unknown>;

/** Writes `model` as an ONNX file at `path`, atomically. */
export function exportOnnx(model: Model, path: string, options: OnnxExportOptions = {}): void {
  if (typeof path !== 'string' || path === '') throw new OxnetError('E_ARG', `exportOnnx: path must be a non-empty string, got ${showValue(path)}`);
  writeFileAtomic(path, onnxBytes(model, options), 'exportOnnx');
}

/** The bytes of the ONNX file exportOnnx writes. */
export function onnxBytes(model: Model, options: OnnxExportOptions = {}): Uint8Array {
  if (!model || typeof (model as Model).getWeights !== 'function')
    throw new OxnetError('E_ARG', `exportOnnx: model must be an oxnet model, got ${showValue(model)}`);
  if (!options || typeof options !== 'object') throw new OxnetError('E_ARG', `exportOnnx: options must be an object, got ${showValue(options)}`);
  const opset = options.opset ?? ONNX_OPSETS.min;
  if (typeof opset !== 'number' || !Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new OxnetError('E_ARG', `exportOnnx: opset must be an integer from ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}, got ${showValue(opset)}`);
  }
  const g = model.graph;
  const b = new Builder(g, model.getWeights(), model.getState());
  b.inputs(model.inputNormalizers.map((n) => (n ? (n.toJSON() as Record<string, unknown>) : null)));
  g.nodes.forEach((node, k) => {
    b.node(node.op, k);
  });
  b.outputs();
  const message = ModelProto.fromObject({
    irVersion: opset <= 18 ? 8 : opset <= 20 ? 9 : 10,
    producerName: 'oxnet',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'oxnet', node: b.nodes, initializer: b.initializers, input: b.graphInputs, output: b.graphOutputs },
  });
  return ModelProto.encode(message).finish();
}

const attr = {
  int: (name: string, i: number): Attr => ({ name, type: ATTR.INT, i }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: ATTR.INTS, ints }),
  float: (name: string, f: number): Attr => ({ name, type: ATTR.FLOAT, f }),
  str: (name: string, s: string): Attr => ({ name, type: ATTR.STRING, s: new TextEncoder().encode(s) }),
};

function valueInfo(name: string, shape: number[]): Attr {
  return {
    name,
    type: { tensorType: { elemType: DTYPE.FLOAT, shape: { dim: [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))] } } },
  };
}

/** Emits ONNX nodes and initializers for a ModelGraph, keeping each value's layouts. */
class Builder {
  readonly nodes: Attr[] = [];
  readonly initializers: Attr[] = [];
  readonly graphInputs: Attr[] = [];
  readonly graphOutputs: Attr[] = [];
  private readonly taken = new Set<string>();
  /** ONNX names of each oxnet value, per layout ('nhwc' is oxnet's order for any rank). */
  private readonly values = new Map<number, Partial<Record<Layout, string>>>();
  private readonly nIn: number;

  constructor(
    private readonly g: ModelGraph,
    private readonly weights: Float32Array[],
    private readonly state: Float32Array[],
  ) {
    this.nIn = g.inputs.length;
    for (const i of g.inputs) this.taken.add(i.name);
    for (const o of g.outputs) this.taken.add(o.name);
  }

  private fresh(base: string): string {
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  private shape(v: number): number[] {
    return v < this.nIn ? this.g.inputs[v].shape : this.g.nodes[v - this.nIn].shape;
  }

  /** A float initializer (dims as given) or an int64 one. */
  floats(base: string, dims: number[], data: ArrayLike<number>): string {
    const name = this.fresh(base);
    const f = Float32Array.from(data);
    this.initializers.push({ name, dims, dataType: DTYPE.FLOAT, rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) });
    return name;
  }

  ints(base: string, data: number[]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [data.length], dataType: DTYPE.INT64, int64Data: data });
    return name;
  }

  emit(opType: string, inputs: string[], base: string, attribute: Attr[] = [], output?: string): string {
    const out = output ?? this.fresh(base);
    this.nodes.push({ name: this.fresh(`${base}/${opType}`), opType, input: inputs, output: [out], attribute });
    return out;
  }

  /** Value `v` in `layout` (a Transpose the first time it is asked for in the other one). */
  get(v: number, layout: Layout): string {
    const have = this.values.get(v)!;
    if (have[layout]) return have[layout];
    const rank3 = this.shape(v).length === 3;
    if (!rank3) {
      if (layout === 'nchw') throw new Error(`value ${v} of rank ${this.shape(v).length} has no NCHW layout`);
      return have.nhwc!;
    }
    const from = layout === 'nchw' ? have.nhwc! : have.nchw!;
    const perm = layout === 'nchw' ? [0, 3, 1, 2] : [0, 2, 3, 1];
    have[layout] = this.emit('Transpose', [from], `${from}/${layout}`, [attr.ints('perm', perm)]);
    return have[layout];
  }

  /** The layout `v` is already in (channels-last when it has both). */
  private layoutOf(v: number): Layout {
    return this.values.get(v)!.nhwc ? 'nhwc' : 'nchw';
  }

  private set(v: number, layout: Layout, name: string): void {
    this.values.set(v, { [layout]: name });
  }

  inputs(normalizers: (Record<string, unknown> | null)[]): void {
    this.g.inputs.forEach((inp, i) => {
      this.graphInputs.push(valueInfo(inp.name, inp.shape));
      let x = inp.name;
      const n = normalizers[i];
      if (n) {
        // x' = (x - offset) / scale per column, as src/data/normalize.ts computes it.
        const [a, b] = n.kind === 'zscore' ? [n.mean, n.std] : [n.min, n.max];
        const lo = a as number[];
        const hi = b as number[];
        const scale = n.kind === 'zscore' ? hi.map((s) => (s === 0 ? 1 : s)) : hi.map((h, j) => (h === lo[j] ? 1 : h - lo[j]));
        const dims = [1, ...inp.shape];
        x = this.emit('Sub', [x, this.floats(`${inp.name}/normalizer/offset`, dims, lo)], `${inp.name}/normalizer/centered`);
        x = this.emit('Div', [x, this.floats(`${inp.name}/normalizer/scale`, dims, scale)], `${inp.name}/normalizer/out`);
      }
      this.set(i, inp.channelsFirst ? 'nchw' : 'nhwc', x);
    });
  }

  outputs(): void {
    for (const o of this.g.outputs) {
      this.emit('Identity', [this.get(o.value, 'nhwc')], o.name, [], o.name);
      this.graphOutputs.push(valueInfo(o.name, o.shape));
    }
  }

  /** f(x) on a value whose channel axis is `axis` (softmax's axis). */
  activation(x: string, act: ActivationSpec, axis: number, base: string): string {
    switch (act.kind) {
      case 'linear':
        return x;
      case 'step': {
        const ge = this.emit('GreaterOrEqual', [x, this.floats(`${base}/zero`, [], [0])], `${base}/nonNegative`);
        return this.emit('Cast', [ge], `${base}/step`, [attr.int('to', DTYPE.FLOAT)]);
      }
      case 'sigmoid': {
        const beta = act.beta ?? 1;
        const scaled = beta === 1 ? x : this.emit('Mul', [x, this.floats(`${base}/beta`, [], [beta])], `${base}/scaled`);
        return this.emit('Sigmoid', [scaled], `${base}/sigmoid`);
      }
      case 'tanh':
        return this.emit('Tanh', [x], `${base}/tanh`);
      case 'relu':
        return this.emit('Relu', [x], `${base}/relu`);
      case 'leakyRelu':
        return this.emit('LeakyRelu', [x], `${base}/leakyRelu`, [attr.float('alpha', act.alpha ?? 0.01)]);
      case 'softmax':
        return this.emit('Softmax', [x], `${base}/softmax`, [attr.int('axis', axis)]);
    }
  }

  node(op: OpSpec, k: number): void {
    const node = this.g.nodes[k];
    const emitter = EMITTERS[op.type] as Emitter<OpSpec>;
    const { layout, name } = emitter(this, op, {
      name: node.name,
      inputs: node.inputs,
      params: node.params.map((p) => ({ name: this.g.params[p].name, data: this.weights[p] })),
      state: node.state.map((s) => ({ name: this.g.state[s].name, data: this.state[s] })),
      shape: node.shape,
      config: this.g.layers[node.layer].layer.config as Record<string, unknown>,
      inputShapes: node.inputs.map((v) => this.shape(v)),
    });
    this.set(this.nIn + k, layout, name);
  }

  /** `inputs` all in the layout of the first (rank-3 values); elementwise ops run in either. */
  sameLayout(inputs: number[]): { layout: Layout; names: string[] } {
    const layout = this.shape(inputs[0]).length === 3 ? this.layoutOf(inputs[0]) : 'nhwc';
    return { layout, names: inputs.map((v) => this.get(v, layout)) };
  }
}

interface NodeCtx {
  name: string;
  inputs: number[];
  params: { name: string; data: Float32Array }[];
  state: { name: string; data: Float32Array }[];
  shape: number[];
  config: Record<string, unknown>;
  inputShapes: number[][];
}

type Emitter<O> = (b: Builder, op: O, n: NodeCtx) => { layout: Layout; name: string };
type Emitters = { [T in OpSpec['type']]: Emitter<OpSpec & { type: T }> };

/** [kh, kw, a, b] -> [b, a, kh, kw] (oxnet's HWIO conv kernel -> ONNX's OIHW). */
function hwioToOihw(k: Float32Array, kh: number, kw: number, a: number, b: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < a; i++) for (let o = 0; o < b; o++) out[((o * a + i) * kh + y) * kw + x] = k[((y * kw + x) * a + i) * b + o];
  return out;
}

/** oxnet's [t, b, l, r] -> ONNX's [t, l, b, r]. */
const pads = (p: [number, number, number, number]) => [p[0], p[2], p[1], p[3]];

function windowAttrs(kernel: [number, number], strides: [number, number], padding: [number, number, number, number], dilation?: [number, number]): Attr[] {
  const a = [attr.ints('kernel_shape', kernel), attr.ints('strides', strides), attr.ints('pads', pads(padding))];
  if (dilation) a.push(attr.ints('dilations', dilation));
  return a;
}

const EMITTERS: Emitters = {
  dense(b, op, n) {
    const x = b.get(n.inputs[0], 'nhwc');
    const w = b.floats(n.params[0].name, [op.inputs, op.units], n.params[0].data);
    const y = op.useBias
      ? b.emit('Gemm', [x, w, b.floats(n.params[1].name, [op.units], n.params[1].data)], `${n.name}/linear`)
      : b.emit('MatMul', [x, w], `${n.name}/linear`);
    return { layout: 'nhwc', name: b.activation(y, op.activation, -1, n.name) };
  },
  conv2d(b, op, n) {
    const [kh, kw] = op.kernel;
    const ch = op.inShape[2];
    const inputs = [b.get(n.inputs[0], 'nchw'), b.floats(n.params[0].name, [op.filters, ch, kh, kw], hwioToOihw(n.params[0].data, kh, kw, ch, op.filters))];
    if (op.useBias) inputs.push(b.floats(n.params[1].name, [op.filters], n.params[1].data));
    const y = b.emit('Conv', inputs, `${n.name}/conv`, [...windowAttrs(op.kernel, op.strides, op.padding, op.dilation), attr.int('group', 1)]);
    return { layout: 'nchw', name: b.activation(y, op.activation, 1, n.name) };
  },
  depthwiseConv2d(b, op, n) {
    // oxnet's [kh, kw, ch, m] kernel writes output channel c*m + j: ONNX's grouped [ch*m, 1, kh, kw].
    const [kh, kw] = op.kernel;
    const ch = op.inShape[2];
    const m = op.depthMultiplier;
    const w = hwioToOihw(n.params[0].data, kh, kw, 1, ch * m);
    const inputs = [b.get(n.inputs[0], 'nchw'), b.floats(n.params[0].name, [ch * m, 1, kh, kw], w)];
    if (op.useBias) inputs.push(b.floats(n.params[1].name, [ch * m], n.params[1].data));
    const y = b.emit('Conv', inputs, `${n.name}/conv`, [...windowAttrs(op.kernel, op.strides, op.padding, op.dilation), attr.int('group', ch)]);
    return { layout: 'nchw', name: b.activation(y, op.activation, 1, n.name) };
  },
  conv2dTranspose(b, op, n) {
    // oxnet's kernel is [kh, kw, out, in]; ONNX's ConvTranspose takes [in, out, kh, kw].
    const [kh, kw] = op.kernel;
    const [h, w, ch] = op.inShape;
    const f = op.outShape[2];
    const [t, bo, l, r] = op.padding;
    const extra = [op.outShape[0] - (op.strides[0] * (h - 1) + kh - t - bo), op.outShape[1] - (op.strides[1] * (w - 1) + kw - l - r)];
    const inputs = [b.get(n.inputs[0], 'nchw'), b.floats(n.params[0].name, [ch, f, kh, kw], hwioToOihw(n.params[0].data, kh, kw, f, ch))];
    if (op.useBias) inputs.push(b.floats(n.params[1].name, [f], n.params[1].data));
    const y = b.emit('ConvTranspose', inputs, `${n.name}/convTranspose`, [
      ...windowAttrs(op.kernel, op.strides, op.padding),
      attr.ints('output_padding', extra),
    ]);
    return { layout: 'nchw', name: b.activation(y, op.activation, 1, n.name) };
  },
  maxPool2d(b, op, n) {
    const y = b.emit('MaxPool', [b.get(n.inputs[0], 'nchw')], `${n.name}/pool`, windowAttrs(op.pool, op.strides, op.padding));
    return { layout: 'nchw', name: y };
  },
  avgPool2d(b, op, n) {
    // Padded cells never count (count_include_pad 0), as oxnet's average.
    const y = b.emit('AveragePool', [b.get(n.inputs[0], 'nchw')], `${n.name}/pool`, [
      ...windowAttrs(op.pool, op.strides, op.padding),
      attr.int('count_include_pad', 0),
    ]);
    return { layout: 'nchw', name: y };
  },
  globalAvgPool2d(b, _op, n) {
    const y = b.emit('GlobalAveragePool', [b.get(n.inputs[0], 'nchw')], `${n.name}/pool`);
    return { layout: 'nhwc', name: b.emit('Flatten', [y], `${n.name}/flat`, [attr.int('axis', 1)]) };
  },
  globalMaxPool2d(b, _op, n) {
    const y = b.emit('GlobalMaxPool', [b.get(n.inputs[0], 'nchw')], `${n.name}/pool`);
    return { layout: 'nhwc', name: b.emit('Flatten', [y], `${n.name}/flat`, [attr.int('axis', 1)]) };
  },
  activation(b, op, n) {
    const { layout, names } = b.sameLayout(n.inputs);
    const axis = layout === 'nchw' ? 1 : -1;
    const y = b.activation(names[0], op.activation, axis, n.name);
    return { layout, name: y === names[0] ? b.emit('Identity', [y], n.name) : y };
  },
  dropout(b, _op, n) {
    // Inference: dropout passes its input through.
    const { layout, names } = b.sameLayout(n.inputs);
    return { layout, name: b.emit('Identity', names, n.name) };
  },
  batchNorm(b, op, n) {
    const [gamma, beta] = n.params;
    const [mean, variance] = n.state;
    const c = op.channels;
    const stats = [gamma, beta, mean, variance].map((t) => b.floats(t.name, [c], t.data));
    const bn = (x: string) => b.emit('BatchNormalization', [x, ...stats], `${n.name}/batchNorm`, [attr.float('epsilon', op.epsilon)]);
    const rank = n.shape.length;
    if (rank === 3) return { layout: 'nchw', name: bn(b.get(n.inputs[0], 'nchw')) };
    if (rank === 1) return { layout: 'nhwc', name: bn(b.get(n.inputs[0], 'nhwc')) };
    // Other ranks: rows of `channels`, normalized, put back in shape.
    const rows = b.emit('Reshape', [b.get(n.inputs[0], 'nhwc'), b.ints(`${n.name}/rows`, [-1, c])], `${n.name}/rows`);
    return { layout: 'nhwc', name: b.emit('Reshape', [bn(rows), b.ints(`${n.name}/shape`, [-1, ...n.shape])], `${n.name}/out`) };
  },
  layerNorm(b, op, n) {
    let k = 0;
    const gamma = op.scale
      ? b.floats(n.params[k++].name, [op.width], n.params[0].data)
      : b.floats(`${n.name}/ones`, [op.width], new Float32Array(op.width).fill(1));
    const inputs = [b.get(n.inputs[0], 'nhwc'), gamma];
    if (op.center) inputs.push(b.floats(n.params[k].name, [op.width], n.params[k].data));
    return { layout: 'nhwc', name: b.emit('LayerNormalization', inputs, `${n.name}/layerNorm`, [attr.int('axis', -1), attr.float('epsilon', op.epsilon)]) };
  },
  reshape(b, _op, n) {
    return { layout: 'nhwc', name: b.emit('Reshape', [b.get(n.inputs[0], 'nhwc'), b.ints(`${n.name}/shape`, [-1, ...n.shape])], `${n.name}/reshape`) };
  },
  merge(b, op, n) {
    const { layout, names } = b.sameLayout(n.inputs);
    const variadic = { add: 'Sum', average: 'Mean', maximum: 'Max' } as const;
    let y: string;
    if (op.kind === 'subtract') y = b.emit('Sub', names, `${n.name}/sub`);
    else if (op.kind === 'multiply') y = names.slice(1).reduce((acc, x) => b.emit('Mul', [acc, x], `${n.name}/mul`), names[0]);
    else y = b.emit(variadic[op.kind], names, `${n.name}/${op.kind}`);
    return { layout, name: y };
  },
  concatenate(b, _op, n) {
    const rank = n.inputShapes[0].length;
    const axis = n.config.axis as number;
    const at = axis < 0 ? rank + axis : axis - 1;
    const { layout, names } = b.sameLayout(n.inputs);
    const onnxAxis = layout === 'nchw' ? [2, 3, 1][at] : at + 1;
    return { layout, name: b.emit('Concat', names, `${n.name}/concat`, [attr.int('axis', onnxAxis)]) };
  },
  upSample2d(b, op, n) {
    const x = b.get(n.inputs[0], 'nchw');
    const scales = b.floats(`${n.name}/scales`, [4], [1, 1, op.size[0], op.size[1]]);
    const mode =
      op.interpolation === 'nearest'
        ? [attr.str('mode', 'nearest'), attr.str('coordinate_transformation_mode', 'asymmetric'), attr.str('nearest_mode', 'floor')]
        : [attr.str('mode', 'linear'), attr.str('coordinate_transformation_mode', 'half_pixel')];
    return { layout: 'nchw', name: b.emit('Resize', [x, '', scales], `${n.name}/resize`, mode) };
  },
  pad2d(b, op, n) {
    const { layout, names } = b.sameLayout(n.inputs);
    const [t, bo, l, r] = op.padding;
    const [h, w] = op.inShape;
    const [hAxis, wAxis] = layout === 'nchw' ? [2, 3] : [1, 2];
    if (t < 0 || bo < 0 || l < 0 || r < 0) {
      // cropping2d: the padding holds minus the rows and columns cut.
      const starts = b.ints(`${n.name}/starts`, [-t, -l]);
      const ends = b.ints(`${n.name}/ends`, [h + bo, w + r]);
      return { layout, name: b.emit('Slice', [names[0], starts, ends, b.ints(`${n.name}/axes`, [hAxis, wAxis])], `${n.name}/crop`) };
    }
    const before = [0, 0, 0, 0];
    const after = [0, 0, 0, 0];
    before[hAxis] = t;
    after[hAxis] = bo;
    before[wAxis] = l;
    after[wAxis] = r;
    return { layout, name: b.emit('Pad', [names[0], b.ints(`${n.name}/pads`, [...before, ...after])], `${n.name}/pad`, [attr.str('mode', 'constant')]) };
  },
};

/** The oxnet op types exportOnnx writes (every OpSpec type: the table is exhaustive). */
export const ONNX_EXPORTED_OPS = Object.keys(EMITTERS) as OpSpec['type'][];

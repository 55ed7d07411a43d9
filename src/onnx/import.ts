// importOnnx: an ONNX file (as PyTorch's torch.onnx.export or exportOnnx writes it) rebuilt as an
// oxnet functional model with its weights, ready to predict, evaluate, or compile and fit.
// Layout: oxnet holds images channels-last. A 4-d graph input read straight by a Conv (PyTorch's
// NCHW) becomes an input of shape [c, h, w] read by a channelsFirst conv2d, so the imported model
// takes the same NCHW-ordered samples as the original; one read by a Transpose to NCHW (what
// exportOnnx writes) stays [h, w, c]. Conv weights go from OIHW to HWIO, and a dense layer after
// a Flatten of an NCHW value has its rows permuted, so PyTorch's flattening order is kept.
// A 4-d model output comes out channels-last ([h, w, c] per sample). Sub / Div by constants right
// at an input (exportOnnx's normalizer) become the model's normalizer again. Every node pattern
// exportOnnx writes comes back: ConvTranspose (conv2dTranspose), Resize (upSampling2d), Pad and
// Slice (zeroPadding2d, cropping2d), LayerNormalization, Reshape to any sample shape, and the
// two-node step and sigmoid-with-beta activations.
import { readFileSync } from 'node:fs';
import { fsError } from '../args';
import { type Normalizer, zscoreFrom } from '../data/normalize';
import { OxnetError, showValue } from '../errors';
import { input, type SymbolicTensor } from '../graph/symbolic';
import { type Layer, layers } from '../layers';
import { transposeAxis } from '../layers/conv2dTranspose';
import { type Model, model } from '../model/model';
import { DTYPE, ModelProto } from './proto';

/** ONNX ops importOnnx maps onto oxnet layers. */
export const ONNX_IMPORTED_OPS = [
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Max',
  'Mean',
  'Sum',
  'Conv',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Flatten',
  'Reshape',
  'Relu',
  'Sigmoid',
  'Tanh',
  'LeakyRelu',
  'Softmax',
  'BatchNormalization',
  'Concat',
  'Identity',
  'Dropout',
  'Transpose',
  'ConvTranspose',
  'Resize',
  'Pad',
  'Slice',
  'LayerNormalization',
  'GreaterOrEqual',
  'Cast',
] as const;

/** 'nd': an oxnet value of rank 2 or 4+ in oxnet's (channels-last) order. */
type Kind = 'flat' | 'nchw' | 'nhwc' | 'chwInput' | 'chwFlat' | 'pooled' | 'nd';
/** Ops exportOnnx applies to a channels-last value straight (no Transpose in front). */
const CHANNELS_LAST_READERS = new Set(['LayerNormalization', 'Reshape', 'Pad', 'Slice', 'GreaterOrEqual']);
interface Val {
  t: SymbolicTensor;
  kind: Kind;
  /** [c, h, w] of the NCHW value a 'chwFlat' was flattened from. */
  chw?: number[];
}
interface OnnxNode {
  name?: string;
  opType: string;
  input?: string[];
  output?: string[];
  attribute?: { name: string; f?: number; i?: number; s?: Uint8Array; ints?: number[]; floats?: number[] }[];
}
interface OnnxTensor {
  name: string;
  dims?: number[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int64Data?: number[];
}

/** Reads the ONNX file at `path` into an oxnet model. */
export function importOnnx(path: string): Model {
  if (typeof path !== 'string' || path === '') throw new OxnetError('E_ARG', `importOnnx: path must be a non-empty string, got ${showValue(path)}`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fsError(e, 'importOnnx', 'read', path);
  }
  return modelFromOnnx(bytes);
}

/** The model of ONNX file bytes. */
export function modelFromOnnx(bytes: Uint8Array): Model {
  let m: Record<string, unknown>;
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true, defaults: false }) as Record<string, unknown>;
  } catch (e) {
    throw new OxnetError('E_FORMAT', `importOnnx: not an ONNX model file (${(e as Error).message})`, { cause: e });
  }
  const graph = m.graph as { node?: OnnxNode[]; initializer?: OnnxTensor[]; input?: Record<string, unknown>[]; output?: { name: string }[] } | undefined;
  if (!graph) throw new OxnetError('E_FORMAT', 'importOnnx: the file has no graph');
  return new Importer(graph).run();
}

class Importer {
  private readonly inits = new Map<string, { dims: number[]; data: Float32Array | number[] }>();
  private readonly vals = new Map<string, Val>();
  private readonly weights = new Map<string, Float32Array>();
  private readonly layerNames = new Set<string>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly skip = new Set<OnnxNode>();

  constructor(private readonly g: { node?: OnnxNode[]; initializer?: OnnxTensor[]; input?: Record<string, unknown>[]; output?: { name: string }[] }) {
    for (const t of g.initializer ?? []) this.inits.set(t.name, { dims: t.dims ?? [], data: tensorData(t) });
    for (const n of g.node ?? []) for (const i of n.input ?? []) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
  }

  run(): Model {
    const inputs: SymbolicTensor[] = [];
    const normalizers: (Normalizer | null)[] = [];
    for (const vi of this.g.input ?? []) {
      const name = vi.name as string;
      if (this.inits.has(name)) continue;
      const dims = ((vi.type as { tensorType?: { shape?: { dim?: { dimValue?: number }[] } } })?.tensorType?.shape?.dim ?? []).map((d) => d.dimValue ?? 0);
      const sample = dims.slice(1);
      if (sample.length === 0 || sample.some((d) => !(d > 0)))
        throw new OxnetError('E_FORMAT', `importOnnx: input '${name}' needs fixed sample dimensions, got ${JSON.stringify(dims)}`);
      const { head, normalizer } = this.normalizerAt(name, sample);
      normalizers.push(normalizer);
      const uses = this.consumers.get(head) ?? [];
      let val: Val;
      if (sample.length === 3) {
        const toNchw =
          uses.length > 0 &&
          uses.every((u) => CHANNELS_LAST_READERS.has(u.opType) || (u.opType === 'Transpose' && eqArr(this.attrs(u).ints('perm'), [0, 3, 1, 2])));
        const t = input({ shape: sample, name: safeName(name) });
        val = { t, kind: toNchw ? 'nhwc' : 'chwInput' };
      } else if (sample.length === 1) val = { t: input({ shape: sample, name: safeName(name) }), kind: 'flat' };
      else throw new OxnetError('E_CONFIG', `importOnnx: input '${name}' has ${sample.length} sample dimensions; oxnet imports vectors and images`);
      inputs.push(val.t);
      this.vals.set(head, val);
    }
    for (const n of this.g.node ?? []) if (!this.skip.has(n)) this.node(n);
    const outputs = (this.g.output ?? []).map((o) => {
      const v = this.vals.get(o.name);
      if (!v) throw new OxnetError('E_FORMAT', `importOnnx: output '${o.name}' is computed by no node`);
      return v.t;
    });
    const net = model({ inputs, outputs, seed: 1 });
    net.setWeights(net.weightsInfo().map((w) => this.weights.get(w.name)!));
    net.setState(net.stateInfo().map((s) => this.weights.get(s.name)!));
    if (normalizers.some((n) => n)) net.setNormalizer(normalizers);
    return net;
  }

  /**
   * Sub(input, offset) then Div(scale) with constants, right at a graph input (what exportOnnx
   * writes for a normalizer): the model's normalizer, so predict takes raw inputs as the file does.
   */
  private normalizerAt(name: string, sample: number[]): { head: string; normalizer: Normalizer | null } {
    const size = sample.reduce((a, d) => a * d, 1);
    const constant = (n: OnnxNode, from: string) => {
      const c = n.input?.length === 2 && n.input[0] === from ? this.inits.get(n.input[1]) : undefined;
      return c && c.data instanceof Float32Array && c.data.length === size ? c.data : undefined;
    };
    const sub = this.consumers.get(name) ?? [];
    if (sub.length !== 1 || sub[0].opType !== 'Sub') return { head: name, normalizer: null };
    const offset = constant(sub[0], name);
    const mid = sub[0].output?.[0] ?? '';
    const div = this.consumers.get(mid) ?? [];
    if (!offset || div.length !== 1 || div[0].opType !== 'Div') return { head: name, normalizer: null };
    const scale = constant(div[0], mid);
    if (!scale || scale.some((v) => !(v !== 0 && Number.isFinite(v)))) return { head: name, normalizer: null };
    this.skip.add(sub[0]);
    this.skip.add(div[0]);
    return { head: div[0].output?.[0] ?? '', normalizer: zscoreFrom(Float64Array.from(offset), Float64Array.from(scale)) };
  }

  private attrs(n: OnnxNode) {
    const find = (name: string) => (n.attribute ?? []).find((a) => a.name === name);
    return {
      int: (name: string, dflt: number) => find(name)?.i ?? dflt,
      float: (name: string, dflt: number) => find(name)?.f ?? dflt,
      ints: (name: string) => find(name)?.ints,
      str: (name: string) => {
        const s = find(name)?.s;
        return s ? new TextDecoder().decode(s) : undefined;
      },
      names: () => (n.attribute ?? []).map((a) => a.name),
    };
  }

  private fail(n: OnnxNode, why: string, code: 'E_FORMAT' | 'E_CONFIG' = 'E_CONFIG'): never {
    throw new OxnetError(code, `importOnnx: node '${n.name ?? n.output?.[0]}' (op ${n.opType}): ${why}`);
  }

  private val(n: OnnxNode, k: number): Val {
    const name = n.input?.[k] ?? '';
    const v = this.vals.get(name);
    if (!v)
      this.fail(
        n,
        this.inits.has(name) ? `input ${k} '${name}' is a constant where oxnet needs a computed value` : `input '${name}' is not computed before it`,
        'E_FORMAT',
      );
    return v;
  }

  private init(n: OnnxNode, k: number): { dims: number[]; data: Float32Array } {
    const t = this.inits.get(n.input?.[k] ?? '');
    if (!t || !(t.data instanceof Float32Array)) this.fail(n, `input ${k} must be a float constant (an initializer)`);
    return t as { dims: number[]; data: Float32Array };
  }

  private layerName(n: OnnxNode): string {
    const base = safeName(n.name || `${n.opType}_${this.layerNames.size + 1}`);
    let name = base;
    for (let k = 2; this.layerNames.has(name); k++) name = `${base}_${k}`;
    this.layerNames.add(name);
    return name;
  }

  private apply(
    n: OnnxNode,
    make: (name: string) => Layer,
    xs: SymbolicTensor[],
    kind: Kind,
    weights: Record<string, Float32Array> = {},
    out = n.output?.[0],
  ): Val {
    const name = this.layerName(n);
    const t = make(name).apply(xs.length === 1 ? xs[0] : xs);
    for (const [k, w] of Object.entries(weights)) this.weights.set(`${name}/${k}`, w);
    const v: Val = { t, kind };
    this.vals.set(out!, v);
    return v;
  }

  private only(n: OnnxNode, allowed: string[]): void {
    const extra = this.attrs(n)
      .names()
      .filter((a) => !allowed.includes(a));
    if (extra.length) this.fail(n, `attribute ${extra.join(', ')} not supported`);
  }

  private node(n: OnnxNode): void {
    const a = this.attrs(n);
    const out = n.output?.[0] ?? '';
    const next = this.consumers.get(out) ?? [];
    if (n.opType === 'Mul' && this.inits.has(n.input?.[1] ?? '') && next.length === 1 && next[0].opType === 'Sigmoid') {
      this.fusedActivation(n, 'Sigmoid');
      return;
    }
    switch (n.opType) {
      case 'Identity':
      case 'Dropout':
        this.vals.set(out, this.val(n, 0));
        return;
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'LeakyRelu': {
        const x = this.val(n, 0);
        const kind = { Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', LeakyRelu: 'leakyRelu' }[n.opType] as 'relu';
        const cfg = n.opType === 'LeakyRelu' ? { alpha: a.float('alpha', 0.01) } : {};
        const v = this.apply(n, (name) => layers.activation({ name, activation: kind, ...cfg }), [x.t], x.kind);
        v.chw = x.chw;
        return;
      }
      case 'Softmax': {
        const x = this.val(n, 0);
        const axis = a.int('axis', -1);
        const ok =
          x.kind === 'nd'
            ? axis === -1 || axis === x.t.shape.length
            : x.kind === 'flat'
              ? axis === 1 || axis === -1
              : x.kind === 'nchw'
                ? axis === 1
                : x.kind === 'nhwc' && (axis === 3 || axis === -1);
        if (!ok) this.fail(n, `softmax over axis ${axis} of a ${x.kind} value; oxnet's softmax runs over the channel (last) axis`);
        this.apply(n, (name) => layers.activation({ name, activation: 'softmax' }), [x.t], x.kind);
        return;
      }
      case 'Transpose': {
        const x = this.val(n, 0);
        const perm = a.ints('perm');
        if (x.kind === 'nhwc' && eqArr(perm, [0, 3, 1, 2])) this.vals.set(out, { t: x.t, kind: 'nchw' });
        else if (x.kind === 'nchw' && eqArr(perm, [0, 2, 3, 1])) this.vals.set(out, { t: x.t, kind: 'nhwc' });
        else this.fail(n, `perm ${JSON.stringify(perm)} of a ${x.kind} value: only NHWC <-> NCHW transposes are imported`);
        return;
      }
      case 'Flatten':
      case 'Reshape': {
        const x = this.val(n, 0);
        if (n.opType === 'Flatten' && a.int('axis', 1) !== 1) this.fail(n, 'only axis 1 is imported');
        if (n.opType === 'Reshape') {
          const shape = this.inits.get(n.input?.[1] ?? '')?.data as number[] | undefined;
          const size = x.t.shape.reduce((p, d) => p * d, 1);
          if (!shape || shape.length < 2 || shape[0] !== -1) this.fail(n, `only a reshape to [-1, ...sample] is imported, got ${JSON.stringify(shape)}`);
          if (!(shape.length === 2 && (shape[1] === -1 || shape[1] === size))) {
            this.reshape(n, x, shape.slice(1));
            return;
          }
        }
        if (x.kind === 'flat' || x.kind === 'chwFlat') this.vals.set(out, x);
        else if (x.kind === 'pooled') this.vals.set(out, { t: x.t, kind: 'flat' });
        else {
          if (x.kind === 'chwInput') this.fail(n, 'a flatten of a 4-d input is not imported');
          const v = this.apply(n, (name) => layers.flatten({ name }), [x.t], x.kind === 'nchw' ? 'chwFlat' : 'flat');
          if (x.kind === 'nchw') v.chw = [x.t.shape[2], x.t.shape[0], x.t.shape[1]];
        }
        return;
      }
      case 'LayerNormalization': {
        this.only(n, ['axis', 'epsilon', 'stash_type']);
        const x = this.val(n, 0);
        if (x.kind === 'nchw' || x.kind === 'chwInput' || x.kind === 'chwFlat') this.fail(n, `layer norm over a ${x.kind} value is not imported`);
        if (a.int('axis', -1) !== -1 && a.int('axis', -1) !== x.t.shape.length) this.fail(n, `only the last axis is imported, got axis ${a.int('axis', -1)}`);
        const gamma = this.init(n, 1).data;
        const center = Boolean(n.input?.[2]);
        const weights: Record<string, Float32Array> = { gamma };
        if (center) weights.beta = this.init(n, 2).data;
        this.apply(n, (name) => layers.layerNormalization({ name, epsilon: a.float('epsilon', 1e-5), center }), [x.t], x.kind, weights);
        return;
      }
      case 'Resize':
        this.resize(n);
        return;
      case 'Pad':
      case 'Slice':
        this.padOrCrop(n);
        return;
      case 'ConvTranspose':
        this.convTranspose(n);
        return;
      case 'Gemm':
      case 'MatMul':
        this.dense(n);
        return;
      case 'Conv':
        this.conv(n);
        return;
      case 'MaxPool':
      case 'AveragePool': {
        this.only(n, ['kernel_shape', 'strides', 'pads', 'ceil_mode', 'dilations', 'count_include_pad', 'auto_pad']);
        const x = this.val(n, 0);
        if (x.kind !== 'nchw') this.fail(n, `pooling reads an NCHW image, got a ${x.kind} value`);
        if (a.int('ceil_mode', 0) !== 0) this.fail(n, 'ceil_mode 1 is not supported');
        if ((a.str('auto_pad') ?? 'NOTSET') !== 'NOTSET') this.fail(n, `auto_pad ${a.str('auto_pad')} is not supported (explicit pads are)`);
        if ((a.ints('dilations') ?? [1, 1]).some((d) => d !== 1)) this.fail(n, 'dilations other than 1 are not supported');
        const p = a.ints('pads') ?? [0, 0, 0, 0];
        if (n.opType === 'AveragePool' && a.int('count_include_pad', 0) !== 0 && p.some((v) => v !== 0))
          this.fail(n, 'count_include_pad 1 with padding is not supported');
        const k = a.ints('kernel_shape') as [number, number];
        const cfg = {
          poolSize: k,
          strides: (a.ints('strides') ?? [1, 1]) as [number, number],
          padding: [p[0], p[2], p[1], p[3]] as [number, number, number, number],
        };
        this.apply(n, (name) => (n.opType === 'MaxPool' ? layers.maxPooling2d({ name, ...cfg }) : layers.averagePooling2d({ name, ...cfg })), [x.t], 'nchw');
        return;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        const x = this.val(n, 0);
        if (x.kind !== 'nchw') this.fail(n, `global pooling reads an NCHW image, got a ${x.kind} value`);
        this.apply(
          n,
          (name) => (n.opType === 'GlobalMaxPool' ? layers.globalMaxPooling2d({ name }) : layers.globalAveragePooling2d({ name })),
          [x.t],
          'pooled',
        );
        return;
      }
      case 'BatchNormalization': {
        this.only(n, ['epsilon', 'momentum', 'training_mode']);
        if (a.int('training_mode', 0) !== 0) this.fail(n, 'training_mode 1 is not supported');
        const x = this.val(n, 0);
        if (x.kind !== 'nchw' && x.kind !== 'flat') this.fail(n, `batch norm over a ${x.kind} value is not imported`);
        const [gamma, beta, runningMean, runningVar] = [1, 2, 3, 4].map((k) => this.init(n, k).data);
        this.apply(n, (name) => layers.batchNormalization({ name, epsilon: a.float('epsilon', 1e-5), momentum: a.float('momentum', 0.9) }), [x.t], x.kind, {
          gamma,
          beta,
          runningMean,
          runningVar,
        });
        return;
      }
      case 'GreaterOrEqual':
        this.fusedActivation(n, 'Cast', 0);
        return;
      case 'Cast':
        this.fail(n, 'a Cast is imported only right after GreaterOrEqual(x, 0) (the step activation)');
        return;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Max':
      case 'Mean':
      case 'Sum': {
        const xs = (n.input ?? []).map((_, k) => this.val(n, k));
        if (xs.some((x) => x.kind !== xs[0].kind)) this.fail(n, 'inputs in different layouts');
        if (xs.length < 2) {
          this.vals.set(out, xs[0]);
          return;
        }
        const make = { Add: layers.add, Sum: layers.add, Sub: layers.subtract, Mul: layers.multiply, Max: layers.maximum, Mean: layers.average }[n.opType]!;
        this.apply(
          n,
          (name) => make({ name }),
          xs.map((x) => x.t),
          xs[0].kind,
        );
        return;
      }
      case 'Concat': {
        const xs = (n.input ?? []).map((_, k) => this.val(n, k));
        const kind = xs[0].kind;
        if (xs.some((x) => x.kind !== kind) || kind === 'chwFlat' || kind === 'chwInput' || kind === 'nd')
          this.fail(n, 'inputs in different or unsupported layouts');
        const axis = a.int('axis', 1);
        const rank = kind === 'flat' || kind === 'pooled' ? 2 : 4;
        const ax = axis < 0 ? axis + rank : axis;
        const oxAxis = rank === 2 ? -1 : kind === 'nchw' ? { 1: -1, 2: 1, 3: 2 }[ax] : { 1: 1, 2: 2, 3: -1 }[ax];
        if (oxAxis === undefined) this.fail(n, `concat over axis ${axis} (the batch) is not supported`);
        this.apply(
          n,
          (name) => layers.concatenate({ name, axis: oxAxis }),
          xs.map((x) => x.t),
          kind,
        );
        return;
      }
      default:
        this.fail(n, `op not supported by importOnnx; supported: ${ONNX_IMPORTED_OPS.join(', ')}`, 'E_FORMAT');
    }
  }

  /**
   * exportOnnx's two-node activations: Mul(x, beta) then Sigmoid (sigmoid with beta), and
   * GreaterOrEqual(x, 0) then Cast to float (step).
   */
  private fusedActivation(n: OnnxNode, then: 'Sigmoid' | 'Cast', constant?: number): void {
    const x = this.val(n, 0);
    const c = this.init(n, 1).data;
    if (c.length !== 1 || (constant !== undefined && c[0] !== constant))
      this.fail(n, `input 1 must be the scalar ${constant ?? 'beta'}, got ${JSON.stringify(Array.from(c))}`);
    const next = this.consumers.get(n.output?.[0] ?? '') ?? [];
    if (next.length !== 1 || next[0].opType !== then) this.fail(n, `only ${n.opType} followed by ${then} (an oxnet activation) is imported`);
    if (then === 'Cast' && this.attrs(next[0]).int('to', 0) !== DTYPE.FLOAT) this.fail(next[0], 'only a Cast to float is imported');
    this.skip.add(next[0]);
    const cfg = then === 'Cast' ? { activation: 'step' as const } : { activation: 'sigmoid' as const, beta: c[0] };
    const v = this.apply(n, (name) => layers.activation({ name, ...cfg }), [x.t], x.kind, {}, next[0].output?.[0]);
    v.chw = x.chw;
  }

  /** Reshape [-1, ...sample] of a value in oxnet's order: oxnet's reshape. */
  private reshape(n: OnnxNode, x: Val, target: number[]): void {
    if (x.kind !== 'flat' && x.kind !== 'nhwc' && x.kind !== 'nd' && x.kind !== 'pooled')
      this.fail(n, `a reshape of a ${x.kind} value is not imported (it reads channels-last values)`);
    const v = this.apply(n, (name) => layers.reshape({ name, targetShape: target }), [x.t], 'nd');
    v.kind = v.t.shape.length === 3 ? 'nhwc' : v.t.shape.length === 1 ? 'flat' : 'nd';
  }

  /** Resize of an NCHW image by integer scales [1, 1, sh, sw], as exportOnnx writes upSampling2d. */
  private resize(n: OnnxNode): void {
    this.only(n, ['mode', 'coordinate_transformation_mode', 'nearest_mode']);
    const a = this.attrs(n);
    const x = this.val(n, 0);
    if (x.kind !== 'nchw') this.fail(n, `Resize reads an NCHW image, got a ${x.kind} value`);
    if (n.input?.[1] || (n.input?.length ?? 0) > 3) this.fail(n, 'only Resize by scales (no roi, no sizes) is imported');
    const scales = this.init(n, 2).data;
    if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1 || ![scales[2], scales[3]].every((v) => Number.isInteger(v) && v >= 1))
      this.fail(n, `scales must be [1, 1, sh, sw] with whole sh, sw, got ${JSON.stringify(Array.from(scales))}`);
    const mode = a.str('mode') ?? 'nearest';
    const coords = a.str('coordinate_transformation_mode') ?? 'half_pixel';
    let interpolation: 'nearest' | 'bilinear';
    if (mode === 'nearest' && coords === 'asymmetric' && (a.str('nearest_mode') ?? 'round_prefer_floor') === 'floor') interpolation = 'nearest';
    else if (mode === 'linear' && coords === 'half_pixel') interpolation = 'bilinear';
    else this.fail(n, `mode ${mode} with coordinate_transformation_mode ${coords} is not imported (nearest asymmetric floor, or linear half_pixel)`);
    const size: [number, number] = [scales[2], scales[3]];
    this.apply(n, (name) => layers.upSampling2d({ name, size, interpolation }), [x.t], 'nchw');
  }

  /** Pad (constant zeros) or Slice (step 1) over the image's rows and columns: zeroPadding2d, cropping2d. */
  private padOrCrop(n: OnnxNode): void {
    const x = this.val(n, 0);
    if (x.kind !== 'nchw' && x.kind !== 'nhwc') this.fail(n, `${n.opType} reads an image, got a ${x.kind} value`);
    const [hAxis, wAxis] = x.kind === 'nchw' ? [2, 3] : [1, 2];
    const ints = (k: number) => {
      const t = this.inits.get(n.input?.[k] ?? '');
      if (!t || t.data instanceof Float32Array) this.fail(n, `input ${k} must be an int64 constant (an initializer)`);
      return t.data as number[];
    };
    const [h, w] = x.t.shape;
    if (n.opType === 'Pad') {
      this.only(n, ['mode']);
      if ((this.attrs(n).str('mode') ?? 'constant') !== 'constant') this.fail(n, `mode ${this.attrs(n).str('mode')} is not imported (constant zeros is)`);
      if (n.input?.[2] && this.init(n, 2).data.some((v) => v !== 0)) this.fail(n, 'only zero padding is imported');
      if (n.input?.[3]) this.fail(n, 'the axes input is not imported');
      const p = ints(1);
      if (p.length !== 8 || [0, 4].some((b) => [0, 1, 2, 3].some((ax) => ax !== hAxis && ax !== wAxis && p[b + ax] !== 0)) || p.some((v) => v < 0))
        this.fail(n, `pads ${JSON.stringify(p)}: only non-negative padding of the rows and columns is imported`);
      const padding: [[number, number], [number, number]] = [
        [p[hAxis], p[4 + hAxis]],
        [p[wAxis], p[4 + wAxis]],
      ];
      this.apply(n, (name) => layers.zeroPadding2d({ name, padding }), [x.t], x.kind);
      return;
    }
    this.only(n, []);
    const [starts, ends] = [ints(1), ints(2)];
    const axes = n.input?.[3] ? ints(3) : starts.map((_, i) => i);
    if (n.input?.[4] && ints(4).some((v) => v !== 1)) this.fail(n, 'steps other than 1 are not imported');
    const crop = [0, 0, 0, 0];
    axes.forEach((ax, i) => {
      const axis = ax < 0 ? ax + 4 : ax;
      const len = axis === hAxis ? h : axis === wAxis ? w : -1;
      if (len < 0) this.fail(n, `a slice over axis ${ax} is not imported (only the rows and columns)`);
      const s = Math.min(Math.max(starts[i] < 0 ? starts[i] + len : starts[i], 0), len);
      const e = Math.min(Math.max(ends[i] < 0 ? ends[i] + len : ends[i], 0), len);
      const at = axis === hAxis ? 0 : 2;
      crop[at] = s;
      crop[at + 1] = len - e;
    });
    const cropping: [[number, number], [number, number]] = [
      [crop[0], crop[1]],
      [crop[2], crop[3]],
    ];
    this.apply(n, (name) => layers.cropping2d({ name, cropping }), [x.t], x.kind);
  }

  /** ConvTranspose with explicit pads and output_padding: the conv2dTranspose config that gives them. */
  private convTranspose(n: OnnxNode): void {
    this.only(n, ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'output_padding']);
    const a = this.attrs(n);
    const x = this.val(n, 0);
    if (x.kind !== 'nchw') this.fail(n, `ConvTranspose reads an NCHW image, got a ${x.kind} value`);
    if (a.int('group', 1) !== 1) this.fail(n, 'group other than 1 is not supported');
    if ((a.ints('dilations') ?? [1, 1]).some((d) => d !== 1)) this.fail(n, 'dilations other than 1 are not supported');
    const w = this.init(n, 1);
    if (w.dims.length !== 4) this.fail(n, 'only 2-d transposed convolutions are imported');
    const [ch, f, kh, kw] = w.dims;
    const strides = (a.ints('strides') ?? [1, 1]) as [number, number];
    const p = a.ints('pads') ?? [0, 0, 0, 0];
    const extra = a.ints('output_padding') ?? [0, 0];
    const [h, wd] = x.t.shape;
    const want = [0, 1].map((i) => {
      const [len, k, s] = [[h, wd][i], [kh, kw][i], strides[i]];
      return { out: s * (len - 1) + k + extra[i] - p[i] - p[i + 2], before: p[i], after: p[i + 2], len, k, s };
    });
    // oxnet's config is padding 'valid' | 'same' plus an optional outputPadding: find the one that crops as the file does.
    let found: { padding: 'valid' | 'same'; outputPadding: [number, number] | null } | undefined;
    for (const padding of ['valid', 'same'] as const) {
      const options = want.map((q) =>
        [null, ...Array.from({ length: q.s }, (_, v) => v)].filter((op) => {
          const t = transposeAxis(q.len, q.k, q.s, padding, op);
          return t.out === q.out && t.before === q.before && t.after === q.after;
        }),
      );
      if (options.some((o) => o.length === 0)) continue;
      const [r, c] = options;
      const none = r.includes(null) && c.includes(null);
      const pick = (o: (number | null)[]) => o.find((v) => v !== null);
      if (none) found = { padding, outputPadding: null };
      else if (pick(r) !== undefined && pick(c) !== undefined) found = { padding, outputPadding: [pick(r)!, pick(c)!] };
      if (found) break;
    }
    if (!found) this.fail(n, `pads ${JSON.stringify(p)} with output_padding ${JSON.stringify(extra)} match neither 'valid' nor 'same' padding`);
    const useBias = Boolean(n.input?.[2]);
    const weights: Record<string, Float32Array> = { kernel: oihwToHwio(w.data, ch, f, kh, kw) };
    if (useBias) weights.bias = this.init(n, 2).data;
    const cfg = { filters: f, kernelSize: [kh, kw] as [number, number], strides, useBias, ...found };
    this.apply(n, (name) => layers.conv2dTranspose({ name, ...cfg }), [x.t], 'nchw', weights);
  }

  private dense(n: OnnxNode): void {
    const a = this.attrs(n);
    const x = this.val(n, 0);
    if (x.kind !== 'flat' && x.kind !== 'chwFlat') this.fail(n, `a dense layer reads a flat value, got a ${x.kind} value`);
    const w = this.init(n, 1);
    let bias: Float32Array | undefined;
    let out = n.output?.[0];
    let kernel: Float32Array;
    let [inputs, units] = w.dims;
    if (n.opType === 'Gemm') {
      this.only(n, ['alpha', 'beta', 'transA', 'transB']);
      if (a.int('transA', 0) !== 0) this.fail(n, 'transA 1 is not supported');
      const alpha = a.float('alpha', 1);
      const beta = a.float('beta', 1);
      const transB = a.int('transB', 0) === 1;
      if (transB) [units, inputs] = w.dims;
      kernel = new Float32Array(inputs * units);
      for (let i = 0; i < inputs; i++)
        for (let o = 0; o < units; o++) kernel[i * units + o] = alpha * (transB ? w.data[o * inputs + i] : w.data[i * units + o]);
      if (n.input?.[2]) {
        const b = this.init(n, 2).data;
        if (b.length !== units) this.fail(n, `bias of ${b.length} values for ${units} units (broadcast biases are not imported)`);
        bias = b.map((v) => v * beta);
      }
    } else {
      kernel = Float32Array.from(w.data);
      // MatMul + Add of a constant bias: one dense layer.
      const next = this.consumers.get(out ?? '') ?? [];
      if (next.length === 1 && next[0].opType === 'Add') {
        const other = next[0].input?.find((i) => i !== out) ?? '';
        const b = this.inits.get(other);
        if (b && b.data instanceof Float32Array && b.data.length === units) {
          bias = b.data;
          this.skip.add(next[0]);
          out = next[0].output?.[0];
        }
      }
    }
    if (x.kind === 'chwFlat') kernel = chwRowsToHwc(kernel, x.chw!, units);
    const weights: Record<string, Float32Array> = { kernel };
    if (bias) weights.bias = bias;
    this.apply(n, (name) => layers.dense({ name, units, useBias: bias !== undefined }), [x.t], 'flat', weights, out);
  }

  private conv(n: OnnxNode): void {
    this.only(n, ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad']);
    const a = this.attrs(n);
    const x = this.val(n, 0);
    if (x.kind !== 'nchw' && x.kind !== 'chwInput') this.fail(n, `Conv reads an NCHW image, got a ${x.kind} value`);
    if ((a.str('auto_pad') ?? 'NOTSET') !== 'NOTSET') this.fail(n, `auto_pad ${a.str('auto_pad')} is not supported (explicit pads are)`);
    const w = this.init(n, 1);
    if (w.dims.length !== 4) this.fail(n, 'only 2-d convolutions are imported');
    const [o, i, kh, kw] = w.dims;
    const channels = x.kind === 'chwInput' ? x.t.shape[0] : x.t.shape[2];
    const group = a.int('group', 1);
    const p = a.ints('pads') ?? [0, 0, 0, 0];
    const common = {
      kernelSize: [kh, kw] as [number, number],
      strides: (a.ints('strides') ?? [1, 1]) as [number, number],
      dilationRate: (a.ints('dilations') ?? [1, 1]) as [number, number],
      padding: [p[0], p[2], p[1], p[3]] as [number, number, number, number],
      useBias: Boolean(n.input?.[2]),
    };
    const weights: Record<string, Float32Array> = {};
    if (common.useBias) weights.bias = this.init(n, 2).data;
    if (group === 1) {
      weights.kernel = oihwToHwio(w.data, o, i, kh, kw);
      const dataFormat = x.kind === 'chwInput' ? 'channelsFirst' : 'channelsLast';
      this.apply(n, (name) => layers.conv2d({ name, filters: o, dataFormat, ...common }), [x.t], 'nchw', weights);
    } else if (group === channels && i === 1 && x.kind === 'nchw') {
      weights.depthwiseKernel = oihwToHwio(w.data, o, 1, kh, kw);
      this.apply(n, (name) => layers.depthwiseConv2d({ name, depthMultiplier: o / channels, ...common }), [x.t], 'nchw', weights);
    } else this.fail(n, `group ${group} is not supported (1, or depthwise on a computed image)`);
  }
}

/** ONNX's [o, i, kh, kw] -> oxnet's [kh, kw, i, o]. */
function oihwToHwio(w: Float32Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = w[((a * i + b) * kh + y) * kw + x];
  return out;
}

/** Dense rows in NCHW flattening order ([c, h, w]) -> oxnet's NHWC order ([h, w, c]). */
function chwRowsToHwc(k: Float32Array, [c, h, w]: number[], units: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let ci = 0; ci < c; ci++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const from = ((ci * h + y) * w + x) * units;
        const to = ((y * w + x) * c + ci) * units;
        out.set(k.subarray(from, from + units), to);
      }
  return out;
}

function tensorData(t: OnnxTensor): Float32Array | number[] {
  if (t.dataType === DTYPE.FLOAT) {
    if (t.rawData?.length) {
      const copy = new Uint8Array(t.rawData);
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    }
    return Float32Array.from(t.floatData ?? []);
  }
  if (t.dataType === DTYPE.INT64) {
    if (t.rawData?.length) {
      const copy = new Uint8Array(t.rawData);
      return Array.from(new BigInt64Array(copy.buffer, 0, copy.length / 8), (v) => Number(v));
    }
    return (t.int64Data ?? []).map(Number);
  }
  return [];
}

function eqArr(a: readonly number[] | undefined, b: number[]): boolean {
  return !!a && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** An oxnet name from an ONNX one ('/0/Conv' -> '0_Conv'). */
function safeName(s: string): string {
  return s.replace(/\//g, '_').replace(/^_+/, '') || 'node';
}

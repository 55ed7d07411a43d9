// The native backend: every Backend method over the napi-rs binding in the root index.js
// (Rust kernels in crates/oxnet-core). Float32 only. Native errors arrive as "E_CODE: message"
// and leave here as OxnetError with that code; anything else (a panic, a napi type error) is
// 'E_NATIVE'.
import type {
  Backend,
  Conv2dGeometry,
  Dataset,
  DenseGrads,
  EpochPlan,
  EpochStats,
  EvalStats,
  FloatArray,
  GradientStats,
  GraphSpec,
  MemoryReport,
  NetworkRunner,
  Pool2dGeometry,
  TrainStats,
} from './types';
import { OxnetError, type OxnetErrorCode } from '../errors';

/** One call's figures come back from the native side as plain arrays (cheaper than external typed arrays for a few values); the runner hands out Float64Arrays. */
type Plain<T> = { [K in keyof T]: T[K] extends Float64Array ? number[] : T[K] };

/** `raw` with each of its number arrays as a Float64Array. */
function f64Fields<T extends object>(raw: Plain<T>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = Array.isArray(v) ? Float64Array.from(v as number[]) : v;
  return out as T;
}

/** The parts of the generated binding (index.d.ts) this file uses; CNN kernels may be absent. */
interface NativeDatasetHandle extends Dataset {
  refill(inputs: F32[], targets: F32[], count: number): void;
}
interface NativeNetworkHandle {
  train(data: NativeDatasetHandle, order: Uint32Array, batchSize: number, lr: number, step: number): Promise<Plain<TrainStats>>;
  trainSync(data: NativeDatasetHandle, order: Uint32Array, batchSize: number, lr: number, step: number): Plain<TrainStats>;
  trainEpochs(data: NativeDatasetHandle, plan: EpochPlan): Promise<EpochStats>;
  trainEpochsSync(data: NativeDatasetHandle, plan: EpochPlan): EpochStats;
  predict(inputs: Float32Array[], n: number): Float32Array[];
  predictAsync(inputs: Float32Array[], n: number): Promise<Float32Array[]>;
  predictValue(inputs: Float32Array[], n: number, value: number): Float32Array;
  evaluate(inputs: Float32Array[], targets: Float32Array[], n: number): Plain<EvalStats>;
  computeGradients(inputs: Float32Array[], targets: Float32Array[], n: number, step: number): Plain<GradientStats>;
  getGradients(): Float32Array[];
  applyGradients(grads: Float32Array[] | null, lr: number, step: number): void;
  memory(): MemoryReport;
  getParams(): Float32Array[];
  setParams(params: Float32Array[]): void;
  getState(): Float32Array[];
  setState(state: Float32Array[]): void;
  resetOptimizer(): void;
  getOptimizerState(): Float32Array[];
  setOptimizerState(state: Float32Array[]): void;
}
type F32 = Float32Array;
export interface NativeBinding {
  coreVersion(): string;
  debugPanic(): void;
  /** Test hooks (hardening): a panic on a worker thread, and the addon's live Rust heap allocations. */
  debugPanicAsync?(): Promise<void>;
  liveAllocations?(): { blocks: number; bytes: number };
  matmul(a: F32, b: F32, m: number, k: number, n: number): F32;
  denseForward(x: F32, w: F32, b: F32 | null, batch: number, inputs: number, units: number): F32;
  denseBackward(x: F32, w: F32, dy: F32, batch: number, inputs: number, units: number): DenseGrads<F32>;
  activationForward(act: string, x: F32, width: number): F32;
  activationBackward(act: string, x: F32, y: F32, dy: F32, width: number): F32;
  loss(spec: string, pred: F32, target: F32, batch: number, width: number): { loss: number; grad: F32 };
  optimizerStep(opt: string, param: F32, grad: F32, state: F32[], step: number): void;
  conv2dForward?(x: F32, w: F32, b: F32 | null, g: Conv2dGeometry): F32;
  conv2dBackward?(x: F32, w: F32, dy: F32, g: Conv2dGeometry): DenseGrads<F32>;
  maxPool2dForward?(x: F32, g: Pool2dGeometry): F32;
  maxPool2dBackward?(x: F32, dy: F32, g: Pool2dGeometry): F32;
  avgPool2dForward?(x: F32, g: Pool2dGeometry): F32;
  avgPool2dBackward?(x: F32, dy: F32, g: Pool2dGeometry): F32;
  /** Thread count of the parallel kernels (absent from binaries built before it existed). */
  setThreads?(n: number): void;
  getThreads?(): number;
  NativeDataset: new (inputs: F32[], targets: F32[], count: number) => NativeDatasetHandle;
  NativeNetwork: new (spec: string, params: F32[], state: F32[]) => NativeNetworkHandle;
}

const KNOWN_CODES = new Set<OxnetErrorCode>([
  'E_SHAPE',
  'E_ARG',
  'E_CONFIG',
  'E_BACKEND',
  'E_FORMAT',
  'E_IO',
  'E_NONFINITE',
  'E_DATA',
  'E_STATE',
  'E_NATIVE',
  'E_ABORTED',
]);

/** A thrown native error as an OxnetError: "E_SHAPE: ..." keeps its code, the rest is E_NATIVE. */
export function toOxnetError(err: unknown): OxnetError {
  if (err instanceof OxnetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const match = /^(E_[A-Z]+): ([\s\S]*)$/.exec(message);
  if (match && KNOWN_CODES.has(match[1] as OxnetErrorCode)) {
    return new OxnetError(match[1] as OxnetErrorCode, match[2], { cause: err });
  }
  // napi-rs refusing an argument's type (undefined for a number, a missing geometry field).
  const status = (err as { code?: unknown } | null)?.code;
  if ((typeof status === 'string' && NAPI_ARG_STATUSES.has(status)) || err instanceof TypeError) {
    return new OxnetError('E_ARG', `native backend: bad argument: ${message}`, { cause: err });
  }
  return new OxnetError('E_NATIVE', `native backend: ${message}`, { cause: err });
}

const NAPI_ARG_STATUSES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
  'DateExpected',
  'ArrayBufferExpected',
  'DetachableArraybufferExpected',
]);

function guard<R>(f: () => R): R {
  try {
    return f();
  } catch (err) {
    throw toOxnetError(err);
  }
}

async function guardAsync<R>(f: () => Promise<R>): Promise<R> {
  try {
    return await f();
  } catch (err) {
    throw toOxnetError(err);
  }
}

/** Native kernels compute in float32: anything else is refused with the parameter's name. */
function f32(op: string, name: string, a: unknown): F32 {
  if (a instanceof Float32Array) return a;
  const kind = a === null ? 'null' : typeof a === 'object' ? ((a as object).constructor?.name ?? 'object') : typeof a;
  throw new OxnetError('E_ARG', `${op}: ${name} must be a Float32Array on the native backend (float32 only), got ${kind}`);
}

function f32List(op: string, name: string, list: unknown): F32[] {
  if (!Array.isArray(list)) throw new OxnetError('E_ARG', `${op}: ${name} must be an array of Float32Array`);
  return list.map((a, i) => f32(op, `${name}[${i}]`, a));
}

/** Loads the binding through the generated loader at the package root (../../index.js from src/ and dist/). */
export function loadNativeBinding(): NativeBinding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../index.js') as NativeBinding;
}

class NativeRunner implements NetworkRunner {
  constructor(
    private readonly binding: NativeBinding,
    private readonly handle: NativeNetworkHandle,
  ) {}

  private dataset(op: string, data: Dataset): NativeDatasetHandle {
    if (!(data instanceof this.binding.NativeDataset)) {
      throw new OxnetError('E_ARG', `${op}: data must be a Dataset created by the native backend (createDataset)`);
    }
    return data;
  }

  private order(op: string, order: unknown): Uint32Array {
    if (!(order instanceof Uint32Array)) throw new OxnetError('E_ARG', `${op}: order must be a Uint32Array`);
    return order;
  }

  train(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): Promise<TrainStats> {
    return guardAsync(async () => f64Fields<TrainStats>(await this.handle.train(this.dataset('train', data), this.order('train', order), batchSize, lr, step)));
  }

  trainSync(data: Dataset, order: Uint32Array, batchSize: number, lr: number, step: number): TrainStats {
    return guard(() => f64Fields<TrainStats>(this.handle.trainSync(this.dataset('trainSync', data), this.order('trainSync', order), batchSize, lr, step)));
  }

  trainEpochs(data: Dataset, plan: EpochPlan): Promise<EpochStats> {
    return guardAsync(() => this.handle.trainEpochs(this.dataset('trainEpochs', data), checkPlan('trainEpochs', plan)));
  }

  trainEpochsSync(data: Dataset, plan: EpochPlan): EpochStats {
    return guard(() => this.handle.trainEpochsSync(this.dataset('trainEpochsSync', data), checkPlan('trainEpochsSync', plan)));
  }

  predict(inputs: Float32Array[], n: number): Float32Array[] {
    return guard(() => this.handle.predict(f32List('predict', 'inputs', inputs), n));
  }

  predictAsync(inputs: Float32Array[], n: number): Promise<Float32Array[]> {
    return guardAsync(() => this.handle.predictAsync(f32List('predictAsync', 'inputs', inputs), n));
  }

  predictValue(inputs: Float32Array[], n: number, value: number): Float32Array {
    return guard(() => this.handle.predictValue(f32List('predictValue', 'inputs', inputs), n, value));
  }

  evaluate(inputs: Float32Array[], targets: Float32Array[], n: number): EvalStats {
    return guard(() => f64Fields<EvalStats>(this.handle.evaluate(f32List('evaluate', 'inputs', inputs), f32List('evaluate', 'targets', targets), n)));
  }

  computeGradients(inputs: Float32Array[], targets: Float32Array[], n: number, step: number): GradientStats {
    const op = 'computeGradients';
    return guard(() => f64Fields<GradientStats>(this.handle.computeGradients(f32List(op, 'inputs', inputs), f32List(op, 'targets', targets), n, step)));
  }

  getGradients(): Float32Array[] {
    return guard(() => this.handle.getGradients());
  }

  applyGradients(grads: Float32Array[] | null, lr: number, step: number): void {
    guard(() => this.handle.applyGradients(grads === null ? null : f32List('applyGradients', 'grads', grads), lr, step));
  }

  memory(): MemoryReport {
    return guard(() => this.handle.memory());
  }

  getParams(): Float32Array[] {
    return guard(() => this.handle.getParams());
  }

  setParams(params: Float32Array[]): void {
    guard(() => this.handle.setParams(f32List('setParams', 'params', params)));
  }

  getState(): Float32Array[] {
    return guard(() => this.handle.getState());
  }

  setState(state: Float32Array[]): void {
    guard(() => this.handle.setState(f32List('setState', 'state', state)));
  }

  resetOptimizer(): void {
    guard(() => this.handle.resetOptimizer());
  }

  getOptimizerState(): Float32Array[] {
    return guard(() => this.handle.getOptimizerState());
  }

  setOptimizerState(state: Float32Array[]): void {
    guard(() => this.handle.setOptimizerState(f32List('setOptimizerState', 'state', state)));
  }
}

/** The plan's typed arrays must be Uint32Array (napi would refuse others with a vaguer message). */
function checkPlan(op: string, plan: EpochPlan): EpochPlan {
  if (plan === null || typeof plan !== 'object') throw new OxnetError('E_ARG', `${op}: plan must be an object`);
  for (const key of ['shuffleSeeds', 'orders'] as const) {
    const v = plan[key];
    if (v !== undefined && !(v instanceof Uint32Array)) throw new OxnetError('E_ARG', `${op}: plan.${key} must be a Uint32Array`);
  }
  return plan;
}

/** A CNN kernel of the binding, or an E_BACKEND error when this binary was built without it. */
function cnnKernel<K extends keyof NativeBinding>(binding: NativeBinding, name: K): NonNullable<NativeBinding[K]> {
  const fn = binding[name];
  if (typeof fn !== 'function') throw new OxnetError('E_BACKEND', `native ${String(name)}: not built into this binary`);
  return (fn as (...args: unknown[]) => unknown).bind(binding) as NonNullable<NativeBinding[K]>;
}

/** The native Backend. Throws (E_BACKEND) when the binary cannot be loaded. */
export function loadNativeBackend(): Backend {
  let binding: NativeBinding;
  try {
    binding = loadNativeBinding();
  } catch (err) {
    throw new OxnetError('E_BACKEND', `cannot load the native binary: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const b = binding;
  // Native results are Float32Array; the generic T is Float32Array whenever the inputs passed f32().
  const out = <T extends FloatArray>(a: F32): T => a as unknown as T;
  const grads = <T extends FloatArray>(g: DenseGrads<F32>): DenseGrads<T> => g as unknown as DenseGrads<T>;
  return {
    name: 'native',
    matmul: (a, bm, m, k, n) => guard(() => out(b.matmul(f32('matmul', 'a', a), f32('matmul', 'b', bm), m, k, n))),
    denseForward: (x, w, bias, batch, inputs, units) =>
      guard(() => {
        const op = 'denseForward';
        return out(b.denseForward(f32(op, 'x', x), f32(op, 'w', w), bias === null ? null : f32(op, 'b', bias), batch, inputs, units));
      }),
    denseBackward: (x, w, dy, batch, inputs, units) =>
      guard(() => {
        const op = 'denseBackward';
        return grads(b.denseBackward(f32(op, 'x', x), f32(op, 'w', w), f32(op, 'dy', dy), batch, inputs, units));
      }),
    activationForward: (act, x, width) => guard(() => out(b.activationForward(JSON.stringify(act), f32('activationForward', 'x', x), width))),
    activationBackward: (act, x, y, dy, width) =>
      guard(() => {
        const op = 'activationBackward';
        return out(b.activationBackward(JSON.stringify(act), f32(op, 'x', x), f32(op, 'y', y), f32(op, 'dy', dy), width));
      }),
    loss: (spec, pred, target, batch, width) =>
      guard(() => {
        const r = b.loss(JSON.stringify(spec), f32('loss', 'pred', pred), f32('loss', 'target', target), batch, width);
        return { loss: r.loss, grad: out(r.grad) };
      }),
    optimizerStep: (opt, param, grad, state, step) =>
      guard(() => {
        const op = 'optimizerStep';
        b.optimizerStep(JSON.stringify(opt), f32(op, 'param', param), f32(op, 'grad', grad), f32List(op, 'state', state), step);
      }),
    conv2dForward: (x, w, bias, g) =>
      guard(() => {
        const op = 'conv2dForward';
        return out(cnnKernel(b, 'conv2dForward')(f32(op, 'x', x), f32(op, 'w', w), bias === null ? null : f32(op, 'b', bias), g));
      }),
    conv2dBackward: (x, w, dy, g) =>
      guard(() => {
        const op = 'conv2dBackward';
        return grads(cnnKernel(b, 'conv2dBackward')(f32(op, 'x', x), f32(op, 'w', w), f32(op, 'dy', dy), g));
      }),
    maxPool2dForward: (x, g) => guard(() => out(cnnKernel(b, 'maxPool2dForward')(f32('maxPool2dForward', 'x', x), g))),
    maxPool2dBackward: (x, dy, g) =>
      guard(() => out(cnnKernel(b, 'maxPool2dBackward')(f32('maxPool2dBackward', 'x', x), f32('maxPool2dBackward', 'dy', dy), g))),
    avgPool2dForward: (x, g) => guard(() => out(cnnKernel(b, 'avgPool2dForward')(f32('avgPool2dForward', 'x', x), g))),
    avgPool2dBackward: (x, dy, g) =>
      guard(() => out(cnnKernel(b, 'avgPool2dBackward')(f32('avgPool2dBackward', 'x', x), f32('avgPool2dBackward', 'dy', dy), g))),
    createDataset: (inputs, targets, count) =>
      guard(() => new b.NativeDataset(f32List('createDataset', 'inputs', inputs), f32List('createDataset', 'targets', targets), count)),
    // Absent from a binary built before NativeDataset.refill: fitDataset then makes a data set per call.
    refillDataset:
      typeof b.NativeDataset.prototype?.refill !== 'function'
        ? undefined
        : (data: Dataset, inputs: Float32Array[], targets: Float32Array[], count: number) =>
            guard(() => {
              if (!(data instanceof b.NativeDataset))
                throw new OxnetError('E_ARG', 'refillDataset: data must be a Dataset created by the native backend (createDataset)');
              data.refill(f32List('refillDataset', 'inputs', inputs), f32List('refillDataset', 'targets', targets), count);
            }),
    createNetwork: (spec: GraphSpec, params: Float32Array[], state: Float32Array[]) =>
      guard(() => {
        // JSON turns NaN and Infinity into null, which Rust would read as "no clipping".
        const clip = (spec as { clipNorm?: unknown } | null)?.clipNorm;
        if (clip !== undefined && !(typeof clip === 'number' && Number.isFinite(clip) && clip > 0)) {
          throw new OxnetError('E_ARG', `network: clipNorm must be a finite number > 0, got ${String(clip)}`);
        }
        return new NativeRunner(
          b,
          new b.NativeNetwork(JSON.stringify(spec), f32List('createNetwork', 'params', params), f32List('createNetwork', 'state', state)),
        );
      }),
  };
}

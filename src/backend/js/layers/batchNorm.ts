// Batch normalisation over the last (channel) axis. Params [gamma, beta]; state
// [runningMean, runningVar], updated by each training forward with `momentum`.
import type { LayerSpec } from '../../types';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { batchNormBackward, batchNormInferenceForward, batchNormTrainForward, updateRunningStats, type BatchNormCache } from '../norm';
import { Workspace } from '../workspace';
import type { JsLayer, PassContext } from './types';

type BatchNormSpec = Extract<LayerSpec, { type: 'batchNorm' }>;

export class BatchNormLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[];
  readonly grads: Float32Array[];
  readonly state: Float32Array[];
  readonly activation = null;
  private readonly channels: number;
  private readonly momentum: number;
  private readonly epsilon: number;
  private cache: BatchNormCache | null = null;
  private output: Float32Array = new Float32Array(0);
  /** Kernel outputs and scratch, reused from batch to batch. */
  private readonly ws = new Workspace();

  constructor(spec: BatchNormSpec) {
    checkInt('batchNorm.size', spec.size);
    checkInt('batchNorm.channels', spec.channels);
    if (spec.size % spec.channels !== 0) {
      throw new OxnetError('E_CONFIG', `batchNorm.size ${spec.size} is not a multiple of batchNorm.channels ${spec.channels}`);
    }
    if (!Number.isFinite(spec.momentum) || spec.momentum < 0 || spec.momentum > 1) {
      throw new OxnetError('E_ARG', `batchNorm.momentum must be in [0, 1], got ${spec.momentum}`);
    }
    if (!Number.isFinite(spec.epsilon) || spec.epsilon <= 0) {
      throw new OxnetError('E_ARG', `batchNorm.epsilon must be a positive finite number, got ${spec.epsilon}`);
    }
    this.inputSize = spec.size;
    this.outputSize = spec.size;
    this.channels = spec.channels;
    this.momentum = spec.momentum;
    this.epsilon = spec.epsilon;
    // gamma = 1, beta = 0, running mean 0 and variance 1 (Keras's initial values).
    this.params = [new Float32Array(spec.channels).fill(1), new Float32Array(spec.channels)];
    this.grads = this.params.map((p) => new Float32Array(p.length));
    this.state = [new Float32Array(spec.channels), new Float32Array(spec.channels).fill(1)];
  }

  forward(x: Float32Array, batch: number, ctx: PassContext): Float32Array {
    const rows = (batch * this.inputSize) / this.channels;
    const [gamma, beta] = this.params;
    const [runningMean, runningVar] = this.state;
    if (!ctx.training) {
      this.cache = null;
      this.output = batchNormInferenceForward(x, gamma, beta, runningMean, runningVar, rows, this.channels, this.epsilon, this.ws);
      return this.output;
    }
    const { y, mean, variance, cache } = batchNormTrainForward(x, gamma, beta, rows, this.channels, this.epsilon, this.ws);
    updateRunningStats(runningMean, runningVar, mean, variance, rows, this.momentum);
    this.cache = cache;
    this.output = y;
    return y;
  }

  preActivation(): Float32Array {
    return this.output;
  }

  backward(dy: Float32Array, batch: number, _fromPre: boolean, needInput: boolean): Float32Array | null {
    if (this.cache === null) {
      throw new OxnetError('E_STATE', 'batchNorm backward needs a training-mode forward first');
    }
    const rows = (batch * this.inputSize) / this.channels;
    const { dx, dgamma, dbeta } = batchNormBackward(dy, this.params[0], this.cache, rows, this.channels, this.ws);
    this.grads[0].set(dgamma);
    this.grads[1].set(dbeta);
    return needInput ? dx : null;
  }
}

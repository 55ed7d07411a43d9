// Dropout and batch normalisation kernels, per docs/kernels.md ("Dropout and batch norm").
import type { FloatArray } from '../types';
import { OxnetError } from '../../errors';
import { take, zeros64, type Workspace } from './workspace';
import { requireLength, requirePositiveInt } from './conv';
import { mulberry32 } from '../../random';

export function checkDropoutRate(rate: number): void {
  if (!Number.isFinite(rate) || rate < 0 || rate >= 1) {
    throw new OxnetError('E_ARG', `dropout rate must be in [0, 1), got ${String(rate)}`);
  }
}

/**
 * Inverted dropout in training mode: one mulberry32 draw u per element in buffer order from
 * `maskSeed` (see rng.dropoutSeed); u < rate drops the element, kept ones are scaled by
 * 1 / (1 - rate). Returns y and the keep flags the backward pass needs.
 */
export function dropoutForward<T extends FloatArray>(x: T, rate: number, maskSeed: number, ws?: Workspace): { y: T; keep: Uint8Array } {
  checkDropoutRate(rate);
  const y = take(ws, x, 'dropout.y', x.length);
  const keep = ws ? ws.bytes('dropout.keep', x.length) : new Uint8Array(x.length);
  const next = mulberry32(maskSeed);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < x.length; i++) {
    if (next() < rate) continue;
    keep[i] = 1;
    y[i] = x[i] * scale;
  }
  return { y, keep };
}

export function dropoutBackward<T extends FloatArray>(dy: T, keep: Uint8Array, rate: number, ws?: Workspace): T {
  checkDropoutRate(rate);
  requireLength('dy', dy, keep.length, 'the dropout input length');
  const dx = take(ws, dy, 'dropout.dx', dy.length);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < dy.length; i++) if (keep[i] === 1) dx[i] = dy[i] * scale;
  return dx;
}

/** What batchNormBackward needs from the training forward pass. */
export interface BatchNormCache {
  /** Normalised input (x - mean) / sqrt(var + epsilon), rows * channels. */
  xhat: Float64Array;
  /** 1 / sqrt(var + epsilon) per channel. */
  invStd: Float64Array;
}

function checkBatchNorm(x: FloatArray, gamma: FloatArray, beta: FloatArray, rows: number, channels: number, epsilon: number): void {
  requirePositiveInt('rows (batch * positions)', rows);
  requirePositiveInt('channels', channels);
  if (!Number.isFinite(epsilon) || epsilon <= 0) {
    throw new OxnetError('E_ARG', `batchNorm epsilon must be a positive finite number, got ${String(epsilon)}`);
  }
  requireLength('x', x, rows * channels, 'rows*channels');
  requireLength('gamma', gamma, channels, 'channels');
  requireLength('beta', beta, channels, 'channels');
}

/**
 * Training-mode batch norm over the last axis of a [rows x channels] buffer: batch mean and biased
 * variance per channel, y = gamma (x - mean) / sqrt(var + epsilon) + beta.
 */
export function batchNormTrainForward<T extends FloatArray>(
  x: T,
  gamma: T,
  beta: T,
  rows: number,
  channels: number,
  epsilon: number,
  ws?: Workspace,
): { y: T; mean: Float64Array; variance: Float64Array; cache: BatchNormCache } {
  checkBatchNorm(x, gamma, beta, rows, channels, epsilon);
  const mean = zeros64(ws, 'bn.mean', channels);
  const variance = zeros64(ws, 'bn.variance', channels);
  for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < channels; c++, i++) mean[c] += x[i];
  for (let c = 0; c < channels; c++) mean[c] /= rows;
  // Two passes: the variance from centred values does not cancel catastrophically.
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      const d = x[i] - mean[c];
      variance[c] += d * d;
    }
  }
  const invStd = zeros64(ws, 'bn.invStd', channels);
  for (let c = 0; c < channels; c++) {
    variance[c] /= rows;
    invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
  }
  const xhat = zeros64(ws, 'bn.xhat', rows * channels);
  const y = take(ws, x, 'bn.y', rows * channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      xhat[i] = (x[i] - mean[c]) * invStd[c];
      y[i] = gamma[c] * xhat[i] + beta[c];
    }
  }
  return { y, mean, variance, cache: { xhat, invStd } };
}

/**
 * Gradients of training-mode batch norm: with g = dy gamma,
 * dx = invStd (g - mean(g) - xhat mean(g xhat)) per channel; dgamma = sum dy xhat; dbeta = sum dy.
 */
export function batchNormBackward<T extends FloatArray>(
  dy: T,
  gamma: T,
  cache: BatchNormCache,
  rows: number,
  channels: number,
  ws?: Workspace,
): { dx: T; dgamma: T; dbeta: T } {
  requireLength('dy', dy, rows * channels, 'rows*channels');
  requireLength('gamma', gamma, channels, 'channels');
  const { xhat, invStd } = cache;
  const sumDy = zeros64(ws, 'bn.sumDy', channels);
  const sumDyXhat = zeros64(ws, 'bn.sumDyXhat', channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      sumDy[c] += dy[i];
      sumDyXhat[c] += dy[i] * xhat[i];
    }
  }
  const dx = take(ws, dy, 'bn.dx', rows * channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      dx[i] = gamma[c] * invStd[c] * (dy[i] - sumDy[c] / rows - xhat[i] * (sumDyXhat[c] / rows));
    }
  }
  const dgamma = take(ws, dy, 'bn.dgamma', channels);
  const dbeta = take(ws, dy, 'bn.dbeta', channels);
  dgamma.set(sumDyXhat);
  dbeta.set(sumDy);
  return { dx, dgamma, dbeta };
}

/** Inference-mode batch norm with the running statistics. */
export function batchNormInferenceForward<T extends FloatArray>(
  x: T,
  gamma: T,
  beta: T,
  runningMean: FloatArray,
  runningVar: FloatArray,
  rows: number,
  channels: number,
  epsilon: number,
  ws?: Workspace,
): T {
  checkBatchNorm(x, gamma, beta, rows, channels, epsilon);
  requireLength('runningMean', runningMean, channels, 'channels');
  requireLength('runningVar', runningVar, channels, 'channels');
  const scale = zeros64(ws, 'bn.scale', channels);
  for (let c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt(runningVar[c] + epsilon);
  const y = take(ws, x, 'bn.yInfer', rows * channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) y[i] = (x[i] - runningMean[c]) * scale[c] + beta[c];
  }
  return y;
}

/**
 * r = momentum r + (1 - momentum) batchStat, in place. The running variance takes the unbiased
 * batch variance (times rows / (rows - 1), as Keras does); with a single row it takes the biased one (0).
 */
export function updateRunningStats(
  runningMean: FloatArray,
  runningVar: FloatArray,
  mean: Float64Array,
  variance: Float64Array,
  rows: number,
  momentum: number,
): void {
  const bessel = rows > 1 ? rows / (rows - 1) : 1;
  for (let c = 0; c < mean.length; c++) {
    runningMean[c] = momentum * runningMean[c] + (1 - momentum) * mean[c];
    runningVar[c] = momentum * runningVar[c] + (1 - momentum) * variance[c] * bessel;
  }
}

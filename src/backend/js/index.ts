// The pure-TypeScript backend: the fallback when no native binary loads, and the reference the
// native backend is checked against. Kernels are generic over Float32Array | Float64Array.
import type { Backend, NetworkSpec } from '../types';
import { matmul } from './matmul';
import { denseBackward, denseForward } from './dense';
import { activationBackward, activationForward } from './activation';
import { loss } from './loss';
import { optimizerStep } from './optimizer';
import { createDataset } from './dataset';
import { JsNetworkRunner } from './network';
import { conv2dBackward, conv2dForward } from './conv';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from './pool';

export const jsBackend: Backend = {
  name: 'js',
  matmul,
  denseForward,
  denseBackward,
  activationForward,
  activationBackward,
  loss,
  optimizerStep,
  conv2dForward,
  conv2dBackward,
  maxPool2dForward,
  maxPool2dBackward,
  avgPool2dForward,
  avgPool2dBackward,
  createDataset,
  createNetwork: (spec: NetworkSpec, params: Float32Array[]) => new JsNetworkRunner(spec, params),
};

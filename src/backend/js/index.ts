// The pure-TypeScript backend: the fallback when no native binary loads, and the reference the
// native backend is checked against. Kernels are generic over Float32Array | Float64Array.
import type { Backend, GraphSpec } from '../types';
import { matmul } from './matmul';
import { denseBackward, denseForward } from './dense';
import { activationBackward, activationForward } from './activation';
import { loss } from './loss';
import { optimizerStep } from './optimizer';
import { createDataset } from './dataset';
import { JsNetworkRunner } from './executor';
import { conv2dBackward, conv2dForward } from './conv';
import { checkedArrays } from './arrays';
import { OxnetError } from '../../errors';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from './pool';

export const jsBackend: Backend = {
  name: 'js',
  matmul: checkedArrays('matmul', ['a', 'b'], matmul),
  denseForward: checkedArrays('denseForward', ['x', 'w', 'b?'], denseForward),
  denseBackward: checkedArrays('denseBackward', ['x', 'w', 'dy'], denseBackward),
  activationForward: checkedArrays('activationForward', ['-', 'x'], activationForward),
  activationBackward: checkedArrays('activationBackward', ['-', 'x', 'y', 'dy'], activationBackward),
  loss: checkedArrays('loss', ['-', 'pred', 'target'], loss),
  optimizerStep: checkedArrays('optimizerStep', ['-', 'param', 'grad', 'state[]'], optimizerStep),
  conv2dForward: checkedArrays('conv2dForward', ['x', 'w', 'b?'], conv2dForward),
  conv2dBackward: checkedArrays('conv2dBackward', ['x', 'w', 'dy'], conv2dBackward),
  maxPool2dForward: checkedArrays('maxPool2dForward', ['x'], maxPool2dForward),
  maxPool2dBackward: checkedArrays('maxPool2dBackward', ['x', 'dy'], maxPool2dBackward),
  avgPool2dForward: checkedArrays('avgPool2dForward', ['x'], avgPool2dForward),
  avgPool2dBackward: checkedArrays('avgPool2dBackward', ['x', 'dy'], avgPool2dBackward),
  createDataset,
  createNetwork: (spec: GraphSpec, params: Float32Array[], state: Float32Array[]) => {
    try {
      return new JsNetworkRunner(spec, params, state);
    } catch (e) {
      // A layer size past what a typed array can hold: refused like any other bad config.
      if (e instanceof RangeError)
        throw new OxnetError('E_CONFIG', `createNetwork: cannot allocate the network (${e.message}); a layer size is too large`, { cause: e });
      throw e;
    }
  },
};

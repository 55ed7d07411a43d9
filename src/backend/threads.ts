// How many threads the native kernels use: OXNET_THREADS (read once, at the first native call) or
// setThreads(n) at run time. An OXNET_THREADS that is not an integer in [1, 256] makes every native
// call, getThreads and setThreads included, throw OxnetError('E_ARG'). The js backend runs on the
// calling thread: 1, and setThreads is a no-op.
import { describe } from '../args';
import { getBackend } from './index';
import { loadNativeBinding, toOxnetError } from './native';
import { OxnetError } from '../errors';

/** The most threads setThreads accepts (as the Rust side). */
export const MAX_THREADS = 256;

/** Uses `n` threads for parallel native kernels from now on; returns the count in effect. */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new OxnetError('E_ARG', `setThreads: n must be an integer in [1, ${MAX_THREADS}], got ${describe(n)}`);
  }
  if (getBackend() !== 'native') return 1;
  const binding = loadNativeBinding();
  if (!binding.setThreads) throw new OxnetError('E_BACKEND', 'setThreads: not built into this native binary');
  try {
    binding.setThreads(n);
  } catch (err) {
    throw toOxnetError(err);
  }
  return getThreads();
}

/** Threads the parallel native kernels use now (1 on the js backend). */
export function getThreads(): number {
  if (getBackend() !== 'native') return 1;
  try {
    return loadNativeBinding().getThreads?.() ?? 1;
  } catch (err) {
    throw toOxnetError(err);
  }
}

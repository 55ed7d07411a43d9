// Placeholder until the native backend wrapper lands (owned by the Rust work).
import type { Backend } from './types';
export function loadNativeBackend(): Backend {
  throw new Error('native backend wrapper not implemented yet');
}

// Backends a model test runs on: js always, native when its binary loads.
import { tryNativeBackend } from '../../src/backend/index';

export function nativeAvailable(): boolean {
  return tryNativeBackend() !== null;
}

export function backends(): ('js' | 'native')[] {
  return nativeAvailable() ? ['js', 'native'] : ['js'];
}

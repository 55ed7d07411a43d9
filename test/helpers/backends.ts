// Runs a suite against every backend: js always, native when its binary loads (skipped visibly
// otherwise, with the load error in the suite name).
import { describe } from 'vitest';
import type { Backend } from '../../src/backend/types';
import { backendByName, nativeLoadError } from '../../src/backend/index';
import { jsBackend } from '../../src/backend/js';

let warned = false;

/** The native backend, or null; `reason` says why not (also warned once on stderr). */
export function nativeOrNull(): { native: Backend | null; reason: string } {
  try {
    return { native: backendByName('native'), reason: '' };
  } catch (err) {
    const cause = nativeLoadError ?? err;
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    if (!warned) {
      warned = true;
      console.warn(`[oxnet tests] native backend unavailable, native suites skipped: ${reason}`);
    }
    return { native: null, reason };
  }
}

/** describe(`<name> backend`, ...) once per available backend. */
export function describeBackends(fn: (backend: Backend) => void): void {
  describe('js backend', () => fn(jsBackend));
  const { native, reason } = nativeOrNull();
  if (native) describe('native backend', () => fn(native));
  else describe.skip(`native backend (SKIPPED: ${reason})`, () => fn(jsBackend));
}

/** describe block given the native backend to compare with js; skipped visibly when absent. */
export function describeNativeVsJs(title: string, fn: (native: Backend, js: Backend) => void): void {
  const { native, reason } = nativeOrNull();
  if (native) describe(`${title}: native vs js`, () => fn(native, jsBackend));
  else describe.skip(`${title}: native vs js (SKIPPED, native unavailable: ${reason})`, () => fn(jsBackend, jsBackend));
}

/** Element-wise |a - b| <= atol + rtol |b| (b the reference); the message names the first miss. */
export function closeness(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): string | null {
  if (a.length !== b.length) return `lengths differ: ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]);
    if (!ok) return `index ${i}: ${a[i]} vs reference ${b[i]} (|diff| ${Math.abs(a[i] - b[i])})`;
  }
  return null;
}

/** The backends to run a suite on: js always, native when its binary loads. */
export function backendNames(): ('js' | 'native')[] {
  return nativeOrNull().native ? ['js', 'native'] : ['js'];
}

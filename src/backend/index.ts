// Picks the backend: native by default, js when asked (OXNET_BACKEND=js or setBackend('js'))
// or when the native binary cannot load (one warning line, never a crash).
import { describe } from '../args';
import type { Backend } from './types';
import { jsBackend } from './js';
import { loadNativeBackend } from './native';
import { OxnetError } from '../errors';

export type BackendName = 'native' | 'js';

let active: Backend | null = null;
let nativeCache: Backend | null | undefined;
let warned = false;

/** The native backend, or null (with the reason in `nativeLoadError`) when no binary fits. */
export function tryNativeBackend(): Backend | null {
  if (nativeCache === undefined) {
    try {
      nativeCache = loadNativeBackend();
    } catch (err) {
      nativeCache = null;
      nativeLoadError = err;
    }
  }
  return nativeCache;
}

/** Why the native backend could not be loaded, if it could not. */
export let nativeLoadError: unknown = null;

function initialBackend(): Backend {
  const requested = (process.env.OXNET_BACKEND ?? '').trim().toLowerCase();
  if (requested === 'js') return jsBackend;
  if (requested !== '' && requested !== 'native') {
    throw new OxnetError('E_BACKEND', `OXNET_BACKEND must be 'native' or 'js', got '${requested}'`);
  }
  const native = tryNativeBackend();
  if (native) return native;
  if (!warned) {
    warned = true;
    // First sentence only: the loader's message goes on with advice about npm that does not fit here.
    const message = nativeLoadError instanceof Error ? nativeLoadError.message : String(nativeLoadError);
    const reason = message.split('\n')[0].split('. ')[0];
    const where = `${process.platform}-${process.arch}`;
    // One line written by hand: process.emitWarning would add a second "(Use `node --trace-warnings ...`)" line.
    process.stderr.write(
      `oxnet: native backend unavailable on ${where} (${reason}); using the pure-TypeScript backend (OXNET_BACKEND=js selects it without this warning)\n`,
    );
  }
  return jsBackend;
}

/** The active backend object. */
export function backend(): Backend {
  if (!active) active = initialBackend();
  return active;
}

/** Which backend is active: 'native' or 'js'. */
export function getBackend(): BackendName {
  return backend().name;
}

/** Switches backend for models built from now on. 'native' throws if no binary fits. */
export function setBackend(name: BackendName): void {
  if (name === 'js') {
    active = jsBackend;
    return;
  }
  if (name === 'native') {
    const native = tryNativeBackend();
    if (!native) {
      throw new OxnetError('E_BACKEND', `native backend unavailable: ${String(nativeLoadError)}`);
    }
    active = native;
    return;
  }
  throw new OxnetError('E_BACKEND', `backend must be 'native' or 'js', got ${describe(name)}`);
}

/** A backend by name, without changing the active one (conformance tests use both). */
export function backendByName(name: BackendName): Backend {
  if (name === 'js') return jsBackend;
  if (name !== 'native') throw new OxnetError('E_BACKEND', `backend must be 'native' or 'js', got ${describe(name)}`);
  const native = tryNativeBackend();
  if (!native) throw new OxnetError('E_BACKEND', `native backend unavailable: ${String(nativeLoadError)}`);
  return native;
}

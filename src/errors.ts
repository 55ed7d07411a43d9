// One error family for everything oxnet refuses: `code` says what kind, the message names the
// parameter and the values.
export type OxnetErrorCode =
  | 'E_SHAPE' // lengths or shapes that do not match
  | 'E_ARG' // a bad argument value (negative size, unknown option, non-finite hyperparameter)
  | 'E_CONFIG' // a model or layer configuration that cannot work
  | 'E_BACKEND' // backend selection or loading
  | 'E_FORMAT' // a damaged, truncated or mismatched model file
  | 'E_IO' // file system
  | 'E_NONFINITE' // NaN or Infinity during training
  | 'E_DATA' // bad input data (CSV, IDX)
  | 'E_STATE' // API used in the wrong order (fit before compile)
  | 'E_NATIVE' // a native fault turned into an error (a Rust panic)
  | 'E_ABORTED' // cancelled with an AbortSignal
  | 'E_MPI'; // distributed(): not under mpirun, the MPI addon not built, or a collective that failed

export class OxnetError extends Error {
  readonly code: OxnetErrorCode;
  constructor(code: OxnetErrorCode, message: string, options?: { cause?: unknown }) {
    super(typeof message === 'string' ? message : showValue(message), options);
    this.name = 'OxnetError';
    this.code = code;
  }
}

export function isOxnetError(e: unknown): e is OxnetError {
  return e instanceof OxnetError;
}

/** A value as error messages show it: JSON where possible (BigInt and cycles would throw there). */
export function showValue(v: unknown): string {
  try {
    return typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v));
  } catch {
    try {
      return String(v);
    } catch {
      return `(${typeof v})`;
    }
  }
}

// Weight initializers. Every one draws from a mulberry32 stream handed in by the model, so one
// seed decides all initial weights.
import { OxnetError } from './errors';

export type InitializerName = 'smallUniform' | 'glorotUniform' | 'heNormal' | 'heUniform' | 'zeros';

export interface InitializerSpec {
  kind: InitializerName;
  /** smallUniform only: values are drawn from [-limit, limit]. Default 0.5. */
  limit?: number;
}

/** fanIn / fanOut of a parameter (dense [in, units]: in, units; conv [kh,kw,cin,f]: kh kw cin, kh kw f). */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/**
 * The course's advice ("start with weights close to 0: where the decision is actually made"):
 * uniform in [-0.5, 0.5]. 0.5 keeps sigmoid units in their steep middle part, yet is large enough
 * to break the symmetry of a 2-2-1 XOR net so plain SGD with lr 0.5 trains it from most seeds.
 */
export const SMALL_UNIFORM_LIMIT = 0.5;

export function resolveInitializer(init: InitializerName | InitializerSpec, param: string): InitializerSpec {
  const spec: InitializerSpec = typeof init === 'string' ? { kind: init } : init;
  const known: InitializerName[] = ['smallUniform', 'glorotUniform', 'heNormal', 'heUniform', 'zeros'];
  if (!spec || !known.includes(spec.kind)) {
    throw new OxnetError('E_CONFIG', `${param} must be one of ${known.join(', ')}, got ${JSON.stringify(init)}`);
  }
  if (spec.limit !== undefined && !(Number.isFinite(spec.limit) && spec.limit > 0)) {
    throw new OxnetError('E_CONFIG', `${param}.limit must be a positive number, got ${spec.limit}`);
  }
  return spec;
}

/** Fills a new array of `size` values drawn by `init`; `next` is the model's uniform stream. */
export function initialize(init: InitializerSpec, size: number, fans: Fans, next: () => number): Float32Array {
  const out = new Float32Array(size);
  const uniform = (limit: number) => {
    for (let i = 0; i < size; i++) out[i] = (2 * next() - 1) * limit;
  };
  switch (init.kind) {
    case 'zeros':
      break;
    case 'smallUniform':
      uniform(init.limit ?? SMALL_UNIFORM_LIMIT);
      break;
    case 'glorotUniform':
      uniform(Math.sqrt(6 / (fans.fanIn + fans.fanOut)));
      break;
    case 'heUniform':
      uniform(Math.sqrt(6 / fans.fanIn));
      break;
    case 'heNormal': {
      // Truncated at 2 standard deviations like Keras; Box-Muller from two uniform draws.
      const std = Math.sqrt(2 / fans.fanIn) / 0.87962566103423978;
      for (let i = 0; i < size; i++) {
        let z: number;
        do {
          const u1 = 1 - next();
          const u2 = next();
          z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        } while (Math.abs(z) > 2);
        out[i] = z * std;
      }
      break;
    }
  }
  return out;
}

/** The default kernel initializer for an activation: smallUniform for sigmoid/tanh/step, He for relu. */
export function defaultInitializerFor(activation: string): InitializerName {
  if (activation === 'sigmoid' || activation === 'tanh' || activation === 'step') return 'smallUniform';
  if (activation === 'relu' || activation === 'leakyRelu') return 'heNormal';
  return 'glorotUniform';
}

/** Shorthand constructors, Keras-style: initializers.smallUniform({limit: 0.3}). */
export const initializers = {
  smallUniform: (opts: { limit?: number } = {}): InitializerSpec => ({ kind: 'smallUniform', ...opts }),
  glorotUniform: (): InitializerSpec => ({ kind: 'glorotUniform' }),
  heNormal: (): InitializerSpec => ({ kind: 'heNormal' }),
  heUniform: (): InitializerSpec => ({ kind: 'heUniform' }),
  zeros: (): InitializerSpec => ({ kind: 'zeros' }),
};

// DataSource: a restartable stream of elements (samples or batches) with tf.data-style
// transforms. Every pass (for await, one epoch of fitDataset) opens the chain afresh; shuffle
// reseeds itself per pass from its seed and the pass number, so a run is the same every time.
import * as arg from '../../args';
import { OxnetError } from '../../errors';
import { deriveSeed } from '../../model/seeds';
import { mulberry32 } from '../../random';

/** Seed purpose of shuffle's per-pass streams (model seeds use 1..5). */
const SHUFFLE_PASS = 101;

/** What batch() concatenates: Float32Arrays (and numbers), in arrays or objects by name. */
export type Tensors = Float32Array | number | Tensors[] | { [name: string]: Tensors };

/** Anything for await can read: an async or sync iterable, an (async) generator. */
export type IterableLike<T> = AsyncIterable<T> | Iterable<T>;

export class DataSource<T> implements AsyncIterable<T> {
  private passes = 0;

  /**
   * `open(pass)` starts pass `pass` (0, 1, ...) over the elements. `size` is the elements of one
   * pass when known (Infinity: endless; undefined: unknown), for progress and batchesPerEpoch.
   */
  constructor(
    private readonly open: (pass: number) => AsyncIterator<T>,
    readonly size?: number,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.open(this.passes++);
  }

  /** f applied to every element (it may be async). */
  map<U>(f: (value: T, index: number) => U | Promise<U>): DataSource<U> {
    arg.func(f, 'map: f');
    const up = this;
    return new DataSource(async function* () {
      let i = 0;
      for await (const v of up) yield await f(v, i++);
    }, this.size);
  }

  /** The elements f keeps. */
  filter(f: (value: T, index: number) => boolean | Promise<boolean>): DataSource<T> {
    arg.func(f, 'filter: f');
    const up = this;
    return new DataSource(async function* () {
      let i = 0;
      for await (const v of up) if (await f(v, i++)) yield v;
    });
  }

  /**
   * Groups `size` consecutive elements into one: Float32Arrays laid end to end (numbers become
   * a Float32Array), arrays and objects element by element; the last batch may be smaller unless
   * dropRemainder.
   */
  batch(size: number, options: { dropRemainder?: boolean } = {}): DataSource<Batched<T>> {
    arg.positiveCount(size, 'batch: size');
    const o = arg.options(options, 'batch', { keys: ['dropRemainder'] });
    const drop = o.dropRemainder === undefined ? false : arg.boolean(o.dropRemainder, 'batch: dropRemainder');
    const up = this;
    const n = this.size;
    const count = n === undefined || n === Infinity ? n : drop ? Math.floor(n / size) : Math.ceil(n / size);
    return new DataSource(async function* () {
      let group: T[] = [];
      for await (const v of up) {
        group.push(v);
        if (group.length === size) {
          yield concatElements(group) as Batched<T>;
          group = [];
        }
      }
      if (group.length > 0 && !drop) yield concatElements(group) as Batched<T>;
    }, count);
  }

  /**
   * Elements in a random order drawn from a buffer of `bufferSize` (tf.data's shuffle: each
   * element out is a uniform pick from the buffer, refilled from upstream). Pass p of the source
   * uses a stream seeded from (seed, p): each epoch gets a new order, the same in every run.
   */
  shuffle(bufferSize: number, seed: number): DataSource<T> {
    arg.positiveCount(bufferSize, 'shuffle: bufferSize');
    arg.seed(seed, 'shuffle: seed');
    const up = this;
    return new DataSource(async function* (pass) {
      const next = mulberry32(deriveSeed(seed, SHUFFLE_PASS, pass));
      const buf: T[] = [];
      for await (const v of up) {
        if (buf.length < bufferSize) {
          buf.push(v);
          continue;
        }
        const j = Math.floor(next() * bufferSize);
        yield buf[j];
        buf[j] = v;
      }
      // Drain: a Fisher-Yates pick from what is left.
      for (let left = buf.length; left > 0; left--) {
        const j = Math.floor(next() * left);
        yield buf[j];
        buf[j] = buf[left - 1];
      }
    }, this.size);
  }

  /** The first `count` elements. */
  take(count: number): DataSource<T> {
    arg.count(count, 'take: count');
    const up = this;
    return new DataSource(
      async function* () {
        if (count === 0) return;
        let i = 0;
        for await (const v of up) {
          yield v;
          if (++i >= count) return;
        }
      },
      this.size === undefined ? undefined : Math.min(this.size, count),
    );
  }

  /** All but the first `count` elements. */
  skip(count: number): DataSource<T> {
    arg.count(count, 'skip: count');
    const up = this;
    return new DataSource(
      async function* () {
        let i = 0;
        for await (const v of up) if (i++ >= count) yield v;
      },
      this.size === undefined ? undefined : Math.max(0, this.size - count),
    );
  }

  /** The source `count` times over (each a new pass: a shuffle reshuffles); no count: endlessly. */
  repeat(count?: number): DataSource<T> {
    if (count !== undefined) arg.count(count, 'repeat: count');
    const up = this;
    const times = count ?? Infinity;
    return new DataSource(
      async function* () {
        for (let r = 0; r < times; r++) {
          let any = false;
          for await (const v of up) {
            any = true;
            yield v;
          }
          if (!any) return; // an empty source repeated forever would spin
        }
      },
      this.size === undefined ? undefined : times === 0 ? 0 : this.size * times,
    );
  }

  /**
   * Reads up to `count` elements ahead of the consumer, in the background: file reads and
   * decoding then overlap with training. An error upstream reaches the consumer at the element
   * where it happened.
   */
  prefetch(count: number): DataSource<T> {
    arg.positiveCount(count, 'prefetch: count');
    return new DataSource(() => prefetchIterator(this[Symbol.asyncIterator](), count), this.size);
  }

  /** Every element in order, as an array (small sources: tests, a validation set). */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this) out.push(v);
    return out;
  }
}

/** What batch() makes of an element type: numbers become Float32Arrays, structure is kept. */
export type Batched<T> = T extends number
  ? Float32Array
  : T extends Float32Array
    ? Float32Array
    : T extends readonly unknown[]
      ? { [K in keyof T]: Batched<T[K]> }
      : T extends object
        ? { [K in keyof T]: Batched<T[K]> }
        : never;

/**
 * A source over `iterable`. An array, or a function returning a fresh iterator (a generator
 * function), can be read many times (one pass per epoch); a generator object only once.
 */
export function fromIterable<T>(iterable: IterableLike<T> | (() => IterableLike<T>)): DataSource<T> {
  const make = typeof iterable === 'function' ? iterable : () => iterable;
  if (typeof iterable !== 'function' && !isIterable(iterable))
    throw new OxnetError('E_ARG', `fromIterable: expected an iterable, an async iterable or a function returning one, got ${arg.describe(iterable)}`);
  const size = Array.isArray(iterable) ? iterable.length : undefined;
  return new DataSource(async function* () {
    const it = make();
    if (!isIterable(it)) throw new OxnetError('E_ARG', `fromIterable: the function must return an iterable, got ${arg.describe(it)}`);
    yield* it as AsyncIterable<T>;
  }, size);
}

function isIterable(v: unknown): v is IterableLike<unknown> {
  return v !== null && typeof v === 'object' && (Symbol.asyncIterator in v || Symbol.iterator in v);
}

/**
 * Pairs several sources element by element (tf.data.zip): zip({ x: images, y: labels }) yields
 * { x, y }; an array of sources yields arrays. Ends with the shortest.
 */
export function zip<S extends Record<string, DataSource<unknown>> | DataSource<unknown>[]>(
  sources: S,
): DataSource<{ [K in keyof S]: S[K] extends DataSource<infer U> ? U : never }> {
  const isArr = Array.isArray(sources);
  if (!isArr && !arg.isPlainObject(sources))
    throw new OxnetError('E_ARG', `zip: sources must be an array or an object of DataSources, got ${arg.describe(sources)}`);
  const keys = Object.keys(sources);
  const list = keys.map((k) => (sources as Record<string, unknown>)[k]);
  list.forEach((s, i) => {
    if (!(s instanceof DataSource)) throw new OxnetError('E_ARG', `zip: sources.${keys[i]} must be a DataSource, got ${arg.describe(s)}`);
  });
  const sizes = (list as DataSource<unknown>[]).map((s) => s.size);
  const size = sizes.some((s) => s === undefined) ? undefined : Math.min(...(sizes as number[]));
  type Out = { [K in keyof S]: S[K] extends DataSource<infer U> ? U : never };
  return new DataSource<Out>(async function* () {
    const its = (list as DataSource<unknown>[]).map((s) => s[Symbol.asyncIterator]());
    try {
      for (;;) {
        const steps = await Promise.all(its.map((it) => it.next()));
        if (steps.some((s) => s.done)) return;
        const values = steps.map((s) => s.value);
        yield (isArr ? values : Object.fromEntries(keys.map((k, i) => [k, values[i]]))) as Out;
      }
    } finally {
      await Promise.all(its.map((it) => it.return?.()));
    }
  }, size);
}

/** One-hot row of `classes` values for an integer label (a number, or a one-value array). */
export function oneHot(label: number | ArrayLike<number>, classes: number): Float32Array {
  arg.positiveCount(classes, 'oneHot: classes');
  const v = typeof label === 'number' ? label : label.length === 1 ? label[0] : Number.NaN;
  if (!Number.isInteger(v) || v < 0 || v >= classes)
    throw new OxnetError('E_DATA', `oneHot: label ${arg.describe(label)} is not an integer in [0, ${classes - 1}]`);
  const row = new Float32Array(classes);
  row[v] = 1;
  return row;
}

/** Elements of the same structure, concatenated leaf by leaf. */
function concatElements(group: unknown[], path = 'element'): Tensors {
  const first = group[0];
  if (typeof first === 'number') {
    return Float32Array.from(group, (v, i) => {
      if (typeof v !== 'number') throw mismatch(path, i, 'a number', v);
      return v;
    });
  }
  if (first instanceof Float32Array) {
    let total = 0;
    group.forEach((v, i) => {
      if (!(v instanceof Float32Array) || v.length !== first.length) throw mismatch(path, i, `a Float32Array of ${first.length} values`, v);
      total += v.length;
    });
    const out = new Float32Array(total);
    let at = 0;
    for (const v of group as Float32Array[]) {
      out.set(v, at);
      at += v.length;
    }
    return out;
  }
  if (Array.isArray(first)) {
    group.forEach((v, i) => {
      if (!Array.isArray(v) || v.length !== first.length) throw mismatch(path, i, `an array of ${first.length}`, v);
    });
    return first.map((_, k) =>
      concatElements(
        group.map((v) => (v as unknown[])[k]),
        `${path}[${k}]`,
      ),
    );
  }
  if (arg.isPlainObject(first)) {
    const keys = Object.keys(first);
    return Object.fromEntries(
      keys.map((k) => {
        const parts = group.map((v, i) => {
          if (!arg.isPlainObject(v) || !Object.hasOwn(v, k)) throw mismatch(path, i, `an object with '${k}'`, v);
          return v[k];
        });
        return [k, concatElements(parts, `${path}.${k}`)];
      }),
    );
  }
  throw new OxnetError('E_DATA', `batch: ${path} must be a Float32Array, a number, or an array or object of them, got ${arg.describe(first)}`);
}

function mismatch(path: string, i: number, want: string, got: unknown): OxnetError {
  return new OxnetError('E_DATA', `batch: ${path} of element ${i} of the batch must be ${want} like the first, got ${arg.describe(got)}`);
}

/** An iterator that keeps up to `depth` next() calls of `up` running ahead of its consumer. */
function prefetchIterator<T>(up: AsyncIterator<T>, depth: number): AsyncIterator<T> {
  const queue: Promise<IteratorResult<T>>[] = [];
  let ended = false;
  const fill = () => {
    while (!ended && queue.length < depth) {
      // Chained: next() calls of an async generator queue anyway; chaining lets us stop at the end.
      const prev = queue.length ? queue[queue.length - 1] : Promise.resolve({ done: false, value: undefined } as IteratorResult<T>);
      const p = prev.then(
        (r) => (r.done ? r : up.next()),
        (e) => Promise.reject(e),
      );
      p.then(
        (r) => {
          if (r.done) ended = true;
        },
        () => {
          ended = true;
        },
      );
      queue.push(p);
    }
  };
  return {
    next() {
      fill();
      const p = queue.shift() ?? Promise.resolve({ done: true, value: undefined } as IteratorResult<T>);
      p.then(fill, () => {});
      return p;
    },
    async return(value?: unknown) {
      ended = true;
      queue.length = 0;
      await up.return?.(value);
      return { done: true, value: undefined } as IteratorResult<T>;
    },
  };
}

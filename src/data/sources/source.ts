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

/** Opens pass `pass` over the elements, delivered in chunks (arrays of consecutive elements). */
export type ChunkOpener<T> = (pass: number) => AsyncIterator<T[]>;

/** Elements a sync iterable (an array) hands over per chunk. */
const SYNC_CHUNK = 256;

export class DataSource<T> implements AsyncIterable<T> {
  private passes = 0;
  /**
   * @internal The elements are made by this chain (batch) and seen by no code of the caller's
   * (no map or filter after it): the one consumer of a pass may hand their arrays back
   * (recycleBatch) for the next batches instead of leaving them to the garbage collector.
   */
  owned = false;
  private readonly openChunks: ChunkOpener<T>;

  /**
   * `open(pass)` starts pass `pass` (0, 1, ...) over the elements. `size` is the elements of one
   * pass when known (Infinity: endless; undefined: unknown), for progress and batchesPerEpoch.
   */
  constructor(open: (pass: number) => AsyncIterator<T>, size?: number);
  /** @internal a source whose opener yields chunks of elements (files: a block of rows). */
  constructor(open: ChunkOpener<T>, size: number | undefined, chunked: true);
  constructor(
    open: ((pass: number) => AsyncIterator<T>) | ChunkOpener<T>,
    readonly size?: number,
    chunked = false,
  ) {
    arg.func(open, 'DataSource: open');
    this.openChunks = chunked ? (open as ChunkOpener<T>) : (pass) => singletons((open as (pass: number) => AsyncIterator<T>)(pass));
  }

  /** The next pass over the elements, a chunk (array) at a time: the transforms and fitDataset read this. */
  chunks(): AsyncIterator<T[]> {
    return this.openChunks(this.passes++);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const it = this.chunks();
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield* r.value;
    } finally {
      await it.return?.();
    }
  }

  /** A source made of `up`'s chunks, rewritten by `step` (each call may return no elements). */
  private derive<U>(step: (up: AsyncIterator<T[]>, pass: number) => AsyncGenerator<U[]>, size: number | undefined, owned = false): DataSource<U> {
    const d = new DataSource<U>((pass) => step(this.chunks(), pass), size, true);
    d.owned = owned;
    return d;
  }

  /** f applied to every element (it may be async). */
  map<U>(f: (value: T, index: number) => U | Promise<U>): DataSource<U> {
    arg.func(f, 'map: f');
    return this.derive(async function* (up) {
      let i = 0;
      for await (const c of iterate(up)) {
        const out = new Array<U>(c.length);
        for (let k = 0; k < c.length; k++) {
          const v = f(c[k], i++);
          out[k] = v instanceof Promise ? await v : v;
        }
        yield out;
      }
    }, this.size);
  }

  /** The elements f keeps. */
  filter(f: (value: T, index: number) => boolean | Promise<boolean>): DataSource<T> {
    arg.func(f, 'filter: f');
    return this.derive(async function* (up) {
      let i = 0;
      for await (const c of iterate(up)) {
        const out: T[] = [];
        for (const v of c) {
          const keep = f(v, i++);
          if (keep instanceof Promise ? await keep : keep) out.push(v);
        }
        if (out.length) yield out;
      }
    }, undefined);
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
    const n = this.size;
    const count = n === undefined || n === Infinity ? n : drop ? Math.floor(n / size) : Math.ceil(n / size);
    return this.derive(
      async function* (up) {
        let group: T[] = [];
        for await (const c of iterate(up)) {
          let out: Batched<T>[] = [];
          for (const v of c) {
            group.push(v);
            if (group.length === size) {
              out.push(concatElements(group) as Batched<T>);
              group = [];
              // A big chunk (a shuffle's drain) in pieces, with a turn for the event loop between.
              if (loopTurnDue()) {
                yield out;
                out = [];
                await loopTurn();
              }
            }
          }
          if (out.length) yield out;
        }
        if (group.length > 0 && !drop) yield [concatElements(group) as Batched<T>];
      },
      count,
      true,
    );
  }

  /**
   * Elements in a random order drawn from a buffer of `bufferSize` (tf.data's shuffle: each
   * element out is a uniform pick from the buffer, refilled from upstream). Pass p of the source
   * uses a stream seeded from (seed, p): each epoch gets a new order, the same in every run.
   */
  shuffle(bufferSize: number, seed: number): DataSource<T> {
    arg.positiveCount(bufferSize, 'shuffle: bufferSize');
    arg.seed(seed, 'shuffle: seed');
    return this.derive(
      async function* (up, pass) {
        const next = mulberry32(deriveSeed(seed, SHUFFLE_PASS, pass));
        const buf: T[] = [];
        for await (const c of iterate(up)) {
          const out: T[] = [];
          for (const v of c) {
            if (buf.length < bufferSize) {
              buf.push(v);
              continue;
            }
            const j = Math.floor(next() * bufferSize);
            out.push(buf[j]);
            buf[j] = v;
          }
          if (out.length) yield out;
        }
        // Drain: a Fisher-Yates pick from what is left.
        const out: T[] = [];
        for (let left = buf.length; left > 0; left--) {
          const j = Math.floor(next() * left);
          out.push(buf[j]);
          buf[j] = buf[left - 1];
        }
        if (out.length) yield out;
      },
      this.size,
      this.owned,
    );
  }

  /** The first `count` elements. */
  take(count: number): DataSource<T> {
    arg.count(count, 'take: count');
    return this.derive(
      async function* (up) {
        let left = count;
        if (left === 0) return;
        for await (const c of iterate(up)) {
          yield c.length <= left ? c : c.slice(0, left);
          left -= c.length;
          if (left <= 0) return;
        }
      },
      this.size === undefined ? undefined : Math.min(this.size, count),
      this.owned,
    );
  }

  /** All but the first `count` elements. */
  skip(count: number): DataSource<T> {
    arg.count(count, 'skip: count');
    return this.derive(
      async function* (up) {
        let left = count;
        for await (const c of iterate(up)) {
          if (left >= c.length) {
            left -= c.length;
            continue;
          }
          yield left > 0 ? c.slice(left) : c;
          left = 0;
        }
      },
      this.size === undefined ? undefined : Math.max(0, this.size - count),
      this.owned,
    );
  }

  /** The source `count` times over (each a new pass: a shuffle reshuffles); no count: endlessly. */
  repeat(count?: number): DataSource<T> {
    if (count !== undefined) arg.count(count, 'repeat: count');
    const times = count ?? Infinity;
    const src = this;
    const d = new DataSource<T>(
      async function* () {
        for (let r = 0; r < times; r++) {
          let any = false;
          for await (const c of iterate(src.chunks())) {
            any ||= c.length > 0;
            yield c;
          }
          if (!any) return; // an empty source repeated forever would spin
        }
      },
      this.size === undefined ? undefined : times === 0 ? 0 : this.size * times,
      true,
    );
    d.owned = this.owned;
    return d;
  }

  /**
   * Reads ahead of the consumer, in the background, until at least `count` elements wait (whole
   * chunks: a file source reads a block of rows at a time): file reads and decoding then
   * overlap with training. An error upstream reaches the consumer where it happened.
   */
  prefetch(count: number): DataSource<T> {
    arg.positiveCount(count, 'prefetch: count');
    const d = new DataSource<T>(() => prefetchIterator(this.chunks(), count), this.size, true);
    d.owned = this.owned;
    return d;
  }

  /** Every element in order, as an array (small sources: tests, a validation set). */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const c of iterate(this.chunks())) for (const v of c) out.push(v);
    return out;
  }
}

let lastTurn = 0;

/** Whether synchronous work has held the event loop for a few milliseconds since the last turn. */
export function loopTurnDue(): boolean {
  return performance.now() - lastTurn > 4;
}

/** A turn for the event loop (timers, I/O callbacks): long runs of microtasks would starve it. */
export function loopTurn(): Promise<void> {
  return new Promise((r) =>
    setImmediate(() => {
      lastTurn = performance.now();
      r();
    }),
  );
}

/** for await over an iterator (closing it when the loop ends early). */
function iterate<T>(it: AsyncIterator<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => it };
}

/** Each element of `it` as a chunk of one. */
async function* singletons<T>(it: AsyncIterator<T>): AsyncGenerator<T[]> {
  for await (const v of iterate(it)) yield [v];
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
  return new DataSource<T>(
    async function* () {
      const it = make();
      if (!isIterable(it)) throw new OxnetError('E_ARG', `fromIterable: the function must return an iterable, got ${arg.describe(it)}`);
      if (Array.isArray(it)) {
        for (let i = 0; i < it.length; i += SYNC_CHUNK) yield it.slice(i, i + SYNC_CHUNK);
      } else {
        // One element at a time: a generator may refill the arrays it yielded last once asked for the next.
        for await (const v of it as AsyncIterable<T>) yield [v];
      }
    },
    size,
    true,
  );
}

/** An iterable of elements; a typed array is not one (its numbers are no samples: wrap it, e.g. [{ x, y }]). */
function isIterable(v: unknown): v is IterableLike<unknown> {
  return v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && (Symbol.asyncIterator in v || Symbol.iterator in v);
}

/**
 * Pairs several sources element by element (tf.data.zip): zip({ x: images, y: labels }) yields
 * { x, y }; an array of sources yields arrays. Ends with the shortest.
 */
/** Any source, whatever its element type (DataSource<unknown> would not take a DataSource<Float32Array>: batch's type differs). */
type AnySource = Pick<DataSource<unknown>, 'chunks' | 'size'>;

export function zip<S extends Record<string, AnySource> | AnySource[]>(
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
  const sizes = (list as AnySource[]).map((s) => s.size);
  const size = sizes.some((s) => s === undefined) ? undefined : Math.min(...(sizes as number[]));
  type Out = { [K in keyof S]: S[K] extends DataSource<infer U> ? U : never };
  return new DataSource<Out>(
    async function* () {
      const its = (list as AnySource[]).map((s) => s.chunks());
      // Each source's current chunk and how far into it; a row out takes one element of each.
      const bufs: unknown[][] = its.map(() => []);
      const at = its.map(() => 0);
      try {
        for (;;) {
          for (let i = 0; i < its.length; i++) {
            while (at[i] >= bufs[i].length) {
              const r = await its[i].next();
              if (r.done) return;
              bufs[i] = r.value;
              at[i] = 0;
            }
          }
          const m = Math.min(...bufs.map((b, i) => b.length - at[i]));
          const out = new Array<Out>(m);
          for (let k = 0; k < m; k++) {
            const row: Record<string, unknown> | unknown[] = isArr ? new Array(keys.length) : {};
            for (let i = 0; i < keys.length; i++) (row as Record<string, unknown>)[isArr ? i : keys[i]] = bufs[i][at[i] + k];
            out[k] = row as Out;
          }
          for (let i = 0; i < its.length; i++) at[i] += m;
          yield out;
        }
      } finally {
        await Promise.all(its.map((it) => it.return?.()));
      }
    },
    size,
    true,
  );
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

/** Batch arrays handed back by their consumer, by length: fresh ones cost page faults and zeroing (~1.6 us a 3 KB row). */
const pool = new Map<number, Float32Array[]>();
const POOL_PER_LENGTH = 64;

function takeArray(length: number): Float32Array {
  return pool.get(length)?.pop() ?? new Float32Array(length);
}

/**
 * @internal Hands the Float32Arrays of a batch from an `owned` source back for reuse by batch():
 * its consumer has copied them and keeps no reference.
 */
export function recycleBatch(el: unknown): void {
  if (el instanceof Float32Array) {
    const list = pool.get(el.length) ?? [];
    if (list.length < POOL_PER_LENGTH && el.byteOffset === 0 && el.buffer.byteLength === el.byteLength) list.push(el);
    pool.set(el.length, list);
  } else if (Array.isArray(el)) for (const v of el) recycleBatch(v);
  else if (arg.isPlainObject(el)) for (const v of Object.values(el)) recycleBatch(v);
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
    const out = takeArray(total);
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

/** An iterator over `up`'s chunks that keeps reading until at least `depth` elements wait. */
function prefetchIterator<T>(up: AsyncIterator<T[]>, depth: number): AsyncIterator<T[]> {
  const queue: Promise<IteratorResult<T[]>>[] = [];
  let waiting = 0; // elements in resolved chunks not yet taken
  let reading = false;
  let ended = false;
  const fill = () => {
    if (reading || ended || waiting >= depth) return;
    reading = true;
    const p = up.next();
    queue.push(p);
    p.then(
      (r) => {
        reading = false;
        if (r.done) ended = true;
        else waiting += r.value.length;
        fill();
      },
      () => {
        reading = false;
        ended = true;
      },
    );
  };
  return {
    async next() {
      fill();
      const p = queue.shift() ?? Promise.resolve({ done: true, value: undefined } as IteratorResult<T[]>);
      const r = await p;
      if (!r.done) waiting -= r.value.length;
      fill();
      return r;
    },
    async return() {
      ended = true;
      queue.length = 0;
      await up.return?.();
      return { done: true, value: undefined } as IteratorResult<T[]>;
    },
  };
}

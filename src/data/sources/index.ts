// Streamed data: sources that read files lazily, and the transforms every source has.
export { DataSource, fromIterable, zip, oneHot, type Batched, type IterableLike, type Tensors } from './source';
export type { RowSource, DType, RowLayout } from './rowFile';
export { rawSource, type RawOptions } from './raw';
export { idxSource } from './idx';
export { npySource, npzSource, npzNames } from './npy';
export { csvSource, CsvSource, type CsvSample, type CsvSourceOptions } from './csv';
export { fitNormalizer } from './normalize';

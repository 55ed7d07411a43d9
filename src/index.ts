// oxnet: neural networks for Node.js. Keras-style API over a native (Rust) or pure-TypeScript backend.
export { OxnetError, isOxnetError, type OxnetErrorCode } from './errors';
export { getBackend, setBackend, type BackendName } from './backend';
export type { ActivationSpec, ActivationKind, LossKind, OptimizerSpec } from './backend/types';

// Model API (the "model" part).
export { Sequential, sequential, type SequentialOptions, type CompileOptions } from './model/sequential';
export type { FitOptions } from './model/fit';
export { validationSplitIndices } from './model/fit';
export type { Callback, EpochLogs, BatchLogs } from './model/callbacks';
export { History } from './model/history';
export type { EvalResult } from './model/evaluate';
export type { TensorLike } from './model/tensors';
export { sgd, adam, adamw, type LossName } from './model/compile';
export { layers, Layer, layerFromConfig } from './layers';
export type { DenseConfig, Conv2dConfig, Pooling2dConfig, ReshapeConfig, DropoutConfig, ActivationLayerConfig, PaddingArg } from './layers';
export { initializers, type InitializerName, type InitializerSpec } from './initializers';
export { saveModel, loadModel } from './io';
export { fitWithRestarts, restartSeed, type RestartsOptions, type RestartResult } from './training/restarts';
export { loadMnist, mnistEpochOrder, type MnistSplit } from './data/mnist';

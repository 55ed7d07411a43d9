// oxnet: neural networks for Node.js. Keras-style API over a native (Rust) or pure-TypeScript backend.
export { OxnetError, isOxnetError, type OxnetErrorCode } from './errors';
export { getBackend, setBackend, type BackendName } from './backend';
export { setThreads, getThreads } from './backend/threads';
export type { ActivationSpec, ActivationKind, LossKind, OptimizerSpec } from './backend/spec';

// Model API (the "model" part): functional graphs and Sequential chains.
export { Model, model, type ModelOptions, type FunctionalOptions, type CompileOptions, type GradientResult } from './model/model';
export { Sequential, sequential, type SequentialOptions } from './model/sequential';
export { input, SymbolicTensor, type InputConfig } from './graph/symbolic';
export { gradCheck, type GradCheckOptions, type GradCheckReport, type TensorCheck } from './model/gradcheck';
export type { FitOptions } from './model/fit';
export { distributed, mpiAddonPath, type World } from './distributed/world';
export { evaluateDistributed } from './distributed/evaluate';
export { validationSplitIndices } from './model/fit';
export type { Callback, EpochLogs, BatchLogs } from './model/callbacks';
export { History } from './model/history';
export type { EvalResult, OutputEval } from './model/evaluate';
export type { TensorLike } from './model/tensors';
export { sgd, adam, adamw, type LossName } from './model/compile';
export { layers, Layer, layerFromConfig } from './layers';
export type {
  DenseConfig,
  Conv2dConfig,
  Conv2dTransposeConfig,
  DepthwiseConv2dConfig,
  SeparableConv2dConfig,
  Pooling2dConfig,
  ReshapeConfig,
  DropoutConfig,
  ActivationLayerConfig,
  BatchNormalizationConfig,
  LayerNormalizationConfig,
  UpSampling2dConfig,
  ConcatenateConfig,
  ZeroPadding2dConfig,
  Cropping2dConfig,
  Amounts2d,
  PaddingArg,
  LayerType,
} from './layers';
export { initializers, type InitializerName, type InitializerSpec } from './initializers';
export { saveModel, loadModel, modelToBytes, modelFromBytes, saveCheckpoint, loadCheckpoint } from './model/files';
export { type Checkpoint, readCheckpoint } from './model/checkpoint';
export type { CallbackState } from './model/callbacks';
export { fitWithRestarts, restartSeed, type RestartsOptions, type RestartResult } from './training/restarts';
export { loadMnist, mnistEpochOrder, type MnistSplit } from './data/mnist';

// The training recipe (the "recipe" part): data, normalization, splits, metrics, schedules,
// callbacks and model selection.
export { zscore, minmax, normalizerFitter, normalizerFromJSON, withMeta, type Normalizer, type NormalizerKind, type NormalizerFitter } from './data/normalize';
export {
  trainValTestSplit,
  kFold,
  shuffledIndices,
  epochOrder,
  batches,
  gatherRows,
  classLabels,
  type SplitResult,
  type SplitPart,
  type SplitOptions,
  type Fold,
} from './data/split';
export { loadCsv, parseCsv, type CsvDataset, type CsvOptions, type CsvTask } from './data/csv';
export { readIdx, encodeIdx, loadIdxPair, type IdxArray, type IdxType } from './data/idx';
export {
  DataSource,
  fromIterable,
  zip,
  oneHot,
  type RowSource,
  rawSource,
  idxSource,
  npySource,
  npzSource,
  npzNames,
  csvSource,
  CsvSource,
  fitNormalizer,
  type Batched,
  type DType,
  type RawOptions,
  type CsvSample,
  type CsvSourceOptions,
} from './data/sources';
export type { FitDatasetOptions, BatchSource } from './model/fitDataset';
export { loadIris, type IrisData } from './data/iris';
export { xorData, noisyFunction, gaussianBlobs } from './data/synthetic';
export {
  accuracy,
  confusionMatrix,
  perClassScores,
  misclassifiedCount,
  predictedClasses,
  meanSquaredError,
  meanAbsoluteError,
  rSquared,
  reconstructionError,
  reconstructionErrors,
  type ClassScores,
} from './metrics';
export { stepDecay, exponentialDecay, cosineDecay, type Schedule } from './schedules';
export { learningRateScheduler, reduceLROnPlateau, earlyStopping, modelCheckpoint, progressLogger, type Monitor } from './training/callbacks';
export { tensorBoard, type TensorBoardOptions, type TensorBoardCallback } from './training/tensorboard';
export { trainingLog, type TrainingLog, type TrainingRecord } from './training/trainingLog';
export { writeReport, type ReportInput, type ReportKind } from './report';
export { selectModel, selectionTable, type SelectionOptions, type SelectionResult, type SelectionRow } from './training/selection';

// Models from elsewhere: TensorFlow.js Layers models (model.json + weight shards).
export { importTfjs, type ImportTfjsOptions } from './interop/tfjs';
export { exportOnnx, onnxBytes, ONNX_OPSETS, type OnnxExportOptions } from './onnx/export';
export { importOnnx, modelFromOnnx, ONNX_IMPORTED_OPS } from './onnx/import';

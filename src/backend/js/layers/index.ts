// The layer factory: one entry per LayerSpec type. The CNN layers (conv2d, pooling, dropout,
// batchNorm) register here too; a type without an entry is refused with E_CONFIG.
import type { LayerSpec } from '../../types';
import { OxnetError } from '../../../errors';
import { ActivationLayer } from './activation';
import { DenseLayer } from './dense';
import { ReshapeLayer } from './reshape';
import { Conv2dLayer } from './conv2d';
import { Pool2dLayer } from './pool2d';
import { GlobalAvgPool2dLayer } from './globalPool';
import { DropoutLayer } from './dropout';
import { BatchNormLayer } from './batchNorm';
import type { JsLayer, LayerContext, LayerFactory } from './types';

export type { JsLayer, LayerContext, LayerFactory, PassContext } from './types';

type FactoryTable = { [K in LayerSpec['type']]?: LayerFactory<Extract<LayerSpec, { type: K }>> };

const factories: FactoryTable = {
  dense: (spec) => new DenseLayer(spec),
  activation: (spec) => new ActivationLayer(spec),
  reshape: (spec) => new ReshapeLayer(spec),
  conv2d: (spec) => new Conv2dLayer(spec),
  maxPool2d: (spec) => new Pool2dLayer(spec),
  avgPool2d: (spec) => new Pool2dLayer(spec),
  globalAvgPool2d: (spec) => new GlobalAvgPool2dLayer(spec),
  dropout: (spec, ctx) => new DropoutLayer(spec, ctx),
  batchNorm: (spec) => new BatchNormLayer(spec),
};

/** Adds or replaces the factory of one layer type (used by modules that define more layers). */
export function registerLayer<K extends LayerSpec['type']>(type: K, factory: LayerFactory<Extract<LayerSpec, { type: K }>>): void {
  (factories as Record<string, unknown>)[type] = factory;
}

/** Builds the js layer for `spec`; E_CONFIG for a type no module provides. */
export function createLayer(spec: LayerSpec, ctx: LayerContext): JsLayer {
  const factory = (factories as Record<string, LayerFactory | undefined>)[spec?.type];
  if (!factory) {
    throw new OxnetError('E_CONFIG', `layer ${ctx.index}: type '${spec?.type}' is not supported by the js backend`);
  }
  return factory(spec, ctx);
}

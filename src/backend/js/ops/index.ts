// The js backend's ops: one kernel per OpSpec type. The table is exhaustive over OpSpec, so an op
// this backend lacks is a compile error.
import { OxnetError } from '../../../errors';
import type { OpSpec } from '../../../layers';
import { activation } from './activation';
import { batchNorm } from './batchNorm';
import { concatenate } from './concatenate';
import { conv2d } from './conv2d';
import { conv2dTranspose } from './conv2dTranspose';
import { dense } from './dense';
import { depthwiseConv2d } from './depthwiseConv2d';
import { dropout } from './dropout';
import { globalPool } from './globalPool';
import { layerNorm } from './layerNorm';
import { merge } from './merge';
import { pad2d } from './pad2d';
import { pool2d } from './pool2d';
import { reshape } from './reshape';
import { upSample2d } from './upSample2d';
import type { JsOp, NodeShape, OpFactory } from './types';

const KERNELS: { [K in OpSpec['type']]: OpFactory<Extract<OpSpec, { type: K }>> } = {
  dense,
  conv2d,
  conv2dTranspose,
  depthwiseConv2d,
  maxPool2d: pool2d,
  avgPool2d: pool2d,
  globalAvgPool2d: globalPool,
  globalMaxPool2d: globalPool,
  activation,
  dropout,
  batchNorm,
  layerNorm,
  reshape,
  merge,
  upSample2d,
  concatenate,
  pad2d,
};

/** The op for a node's spec, checked against its wiring (a spec from JSON may name anything). */
export function buildOp(spec: OpSpec, shape: NodeShape): JsOp {
  const type = (spec as { type?: unknown } | null)?.type;
  const factory = typeof type === 'string' && Object.hasOwn(KERNELS, type) ? (KERNELS as unknown as Record<string, OpFactory<OpSpec>>)[type] : undefined;
  if (!factory) throw new OxnetError('E_CONFIG', `node '${shape.name}': unknown op type ${JSON.stringify(type)}`);
  return factory(spec, shape);
}

export type { JsOp, NodeShape, OpContext, Reads } from './types';

/**
 * What `model.compile` left on a LayersModel, read through the public fields tfjs declares
 * (`optimizer`, `lossFunctions`, `metricsNames`, `metricsTensors`): the loss and metric functions
 * of each output, with the log keys `model.fit` gives them.
 */
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';

/** A compiled loss or metric: per-example values (or their mean) from targets and predictions. */
export type LossOrMetricFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** A metric of one output, with its log key (`acc`, `out1_acc`…). */
export interface CompiledMetric {
  key: string;
  output: number;
  fn: LossOrMetricFn;
}

/** The training configuration of a compiled model. */
export interface CompiledModel {
  optimizer: tf.Optimizer;
  outputNames: string[];
  /** One loss function per output. */
  lossFunctions: LossOrMetricFn[];
  /** The per-output loss keys (`out1_loss`…), present only for a multi-output model, as in fit. */
  outputLossKeys: string[];
  metrics: CompiledMetric[];
  /** The keys fit logs, in its order: `loss`, the per-output losses, the metrics. */
  logKeys: string[];
}

/** The compile-time fields of a LayersModel that tfjs declares public. */
interface CompileState {
  optimizer?: tf.Optimizer;
  lossFunctions?: LossOrMetricFn[];
  metricsNames?: string[];
  metricsTensors?: Array<[LossOrMetricFn, number]>;
  outputNames: string[];
  outputs: unknown[];
  /** A `tf.Sequential` keeps the compiled losses and metrics on its inner functional model. */
  model?: CompileState;
}

/** Reads the compiled state of `model`; an uncompiled model is an `InvalidArgumentError`. */
export function readCompiledModel(model: tf.LayersModel): CompiledModel {
  const outer: CompileState = model;
  const state =
    outer.lossFunctions === undefined && outer.model !== undefined ? outer.model : outer;
  const lossFunctions = state.lossFunctions;
  if (
    outer.optimizer == null ||
    !Array.isArray(lossFunctions) ||
    lossFunctions.length !== state.outputs.length
  ) {
    throw new InvalidArgumentError(
      'model',
      'is not compiled with a loss for each output: call model.compile({ optimizer, loss }) first.',
    );
  }
  const outputCount = state.outputs.length;
  const names = state.metricsNames ?? ['loss'];
  const tensors = state.metricsTensors ?? [];
  // fit logs the per-output losses as metrics (first in metricsTensors) only with several outputs.
  const skipped = outputCount > 1 ? outputCount : 0;
  const keys = dedupe(names);
  const metrics = tensors
    .slice(skipped)
    .map(([fn, output], i) => ({ key: keys[1 + skipped + i], output, fn }));
  return {
    optimizer: outer.optimizer,
    outputNames: outer.outputNames,
    lossFunctions,
    outputLossKeys: keys.slice(1, 1 + skipped),
    metrics,
    logKeys: keys,
  };
}

/** fit's deduplication of metric names: two `acc` become `acc_0` and `acc_1`, as tfjs does. */
function dedupe(names: string[]): string[] {
  const total = new Map<string, number>();
  for (const name of names) total.set(name, (total.get(name) ?? 0) + 1);
  const seen = new Map<string, number>();
  return names.map((name) => {
    const index = seen.get(name) ?? 0;
    seen.set(name, index + 1);
    return total.get(name)! > 1 ? `${name}_${index}` : name;
  });
}

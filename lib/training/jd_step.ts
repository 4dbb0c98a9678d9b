/**
 * One training step of `jdFit`, what `model.fit`'s train function does with Jacobian descent in
 * place of the summed loss: one forward pass, the compiled loss of each output, `mtlGrads` (the
 * shared weights get the aggregator's combination of the outputs' gradients, each head its own
 * loss's gradient), the regularizers' gradient added, the compiled optimizer's update. It returns
 * the values fit logs for a batch, plus the aggregator's weights and the cosine.
 */
import * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../aggregation/aggregator_bases';
import { mtlGrads } from '../autojac/mtl_grads';
import type { CompiledModel } from './compiled_model';
import { trainableVariables } from './variables';
import { addRegularizerGradients } from './regularization';
import type { SharedPart } from './shared_part';
import type { StepMonitor } from './step_monitor';

/** The numbers a step logs, by key. */
export type StepLogs = { [key: string]: number };

/** Trains on one batch and returns its logs (losses computed before the update). */
export type TrainStep = (xs: tf.Tensor[], ys: tf.Tensor[]) => StepLogs;

/** The log key of the aggregator's weight of each output (`out1_weight`…). */
export const weightKey = (outputName: string): string => `${outputName}_weight`;

/** The log key of the cosine between the shared update and the mean gradient. */
export const COSINE_KEY = 'cosine';

/** Builds the Jacobian descent step of a multi-output model. */
export function makeJdStep(
  model: tf.LayersModel,
  compiled: CompiledModel,
  part: SharedPart,
  aggregator: Aggregator,
  lossWeights: number[] | undefined,
  monitor: StepMonitor,
): TrainStep {
  const trainable = trainableVariables(model);
  const trainableNames = new Set(trainable.map((v) => v.name));
  return (xs, ys) => {
    const kept: tf.Tensor[] = [];
    monitor.clear();
    const { losses, grads, weights } = mtlGrads(
      () => {
        const { features, outputs } = part.forward(xs);
        const raw = outputs.map((out, i) => tf.mean(compiled.lossFunctions[i](ys[i], out)));
        // The logs need the unweighted losses and the metrics of this same forward pass.
        for (const metric of compiled.metrics) {
          kept.push(tf.keep(tf.mean(metric.fn(ys[metric.output], outputs[metric.output]))));
        }
        if (lossWeights === undefined) return { features, losses: raw };
        kept.push(...raw.map((l) => tf.keep(l)));
        return { features, losses: raw.map((l, i) => tf.mul(l, lossWeights[i])) };
      },
      { aggregator, sharedParams: part.sharedWeights, tasksParams: part.tasksWeights },
    );
    const penalty = addRegularizerGradients(model, trainable, grads);
    // In the model's order, as model.fit gives them: the optimizer matches its state (Adam's
    // moments…) to the gradients by position, and it may be shared with model.fit.
    const ordered: tf.NamedTensorMap = {};
    for (const variable of trainable) {
      if (grads[variable.name] !== undefined) ordered[variable.name] = grads[variable.name];
    }
    for (const name of Object.keys(grads)) if (!trainableNames.has(name)) grads[name].dispose();
    compiled.optimizer.applyGradients(ordered);
    tf.dispose(ordered);

    const metricCount = compiled.metrics.length;
    const rawLosses = lossWeights === undefined ? losses : kept.slice(metricCount);
    const values = tf.tidy(() =>
      tf.concat([...rawLosses, ...kept.slice(0, metricCount)].map((t) => t.reshape([1]))),
    );
    const numbers = Array.from(values.dataSync());
    tf.dispose([values, losses, kept]);
    const outputLosses = numbers.slice(0, compiled.outputNames.length);
    const logs: StepLogs = {
      loss: outputLosses.reduce((sum, l, i) => sum + l * (lossWeights?.[i] ?? 1), 0) + penalty,
    };
    compiled.outputLossKeys.forEach((key, i) => (logs[key] = outputLosses[i]));
    compiled.metrics.forEach((m, i) => (logs[m.key] = numbers[outputLosses.length + i]));
    if (weights !== undefined) {
      compiled.outputNames.forEach((name, i) => (logs[weightKey(name)] = weights[i]));
    }
    logs[COSINE_KEY] = monitor.cosine(weights);
    return logs;
  };
}

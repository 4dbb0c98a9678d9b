/**
 * One step of instance-wise risk minimization on a single-output model: every example of the batch
 * is an objective. The compiled loss gives the per-example losses (tfjs's loss functions reduce
 * only the last axis), autogram's `Engine` their `[b, b]` Gramian without forming the Jacobian,
 * the weighting the weights, and one weighted backward pass the update.
 */
import * as tf from '@tensorflow/tfjs';
import type { Weighting } from '../aggregation/weighting_bases';
import { backward, gradsMap, record, zeroGrad } from '../autograd';
import { Engine } from '../autogram/engine';
import type { CompiledModel } from './compiled_model';
import { trainableVariables } from './variables';
import { gramianCosine } from './gramian_cosine';
import { addRegularizerGradients } from './regularization';
import { COSINE_KEY, type StepLogs, type TrainStep } from './jd_step';

/** Builds the instance-wise step of a single-output model. */
export function makeIwrmStep(
  model: tf.LayersModel,
  compiled: CompiledModel,
  weighting: Weighting,
): TrainStep {
  const engine = new Engine(model, { batchDim: 0 });
  const trainable = trainableVariables(model);
  const lossFunction = compiled.lossFunctions[0];
  return (xs, ys) => {
    const metrics: tf.Tensor[] = [];
    const losses = record(() => {
      const output = model.apply(xs, { training: true });
      const prediction = (Array.isArray(output) ? output[0] : output) as tf.Tensor;
      for (const metric of compiled.metrics) {
        metrics.push(tf.keep(tf.mean(metric.fn(ys[0], prediction))));
      }
      return lossFunction(ys[0], prediction);
    });
    let gramian: tf.Tensor2D | undefined;
    let weights: tf.Tensor1D | undefined;
    let seed: tf.Tensor | undefined;
    let cosine = NaN;
    try {
      gramian = engine.computeGramian(losses);
      weights = weighting.apply(gramian);
      cosine = gramianCosine(gramian.dataSync(), weights.dataSync());
      seed = weights.reshape(losses.shape);
      backward(losses, { gradient: seed });
    } catch (error) {
      tf.dispose([losses, metrics]);
      throw error;
    } finally {
      tf.dispose([gramian, weights, seed]);
    }
    // The store's gradients are freed by zeroGrad; clones (which share the data) outlive it.
    const stored = gradsMap(trainable);
    const grads: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(stored)) grads[name] = tf.clone(g);
    zeroGrad(trainable);
    const penalty = addRegularizerGradients(model, trainable, grads);
    compiled.optimizer.applyGradients(grads);
    tf.dispose(grads);
    const values = tf.tidy(() =>
      tf.concat([tf.mean(losses), ...metrics].map((t) => t.reshape([1]))),
    );
    const numbers = Array.from(values.dataSync());
    tf.dispose([values, losses, metrics]);
    const logs: StepLogs = { loss: numbers[0] + penalty };
    compiled.metrics.forEach((m, i) => (logs[m.key] = numbers[1 + i]));
    logs[COSINE_KEY] = cosine;
    return logs;
  };
}

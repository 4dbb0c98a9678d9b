/**
 * The multi-task backward pass with the shared Jacobian aggregated on the spot, behind `mtlGrads`
 * and `mtlBackward({ aggregator })`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../aggregation/aggregator_bases';
import { isLossAware } from '../aggregation/loss_aware';
import { InvalidArgumentError } from '../errors';
import { aggregateJacobians, canUseGramianSum, throwNonFinite } from './aggregate_jacobians';
import { headPasses, mtlJacobian, resolveMtlInputs, type MtlInputs } from './mtl_jacobian';
import { planTaskGramian, taskJacobian, type TaskJacobian } from './task_gramian';
import type { Weighting } from '../aggregation/weighting_bases';
import { rowsOf } from '../linalg/matrix';

/** Task gradients and the aggregated gradients of the shared parameters. */
export interface MtlAggregated {
  losses: tf.Tensor[];
  features: tf.Tensor[];
  taskParams: tf.Variable[];
  taskGradients: tf.Tensor[];
  sharedParams: tf.Variable[];
  sharedGradients: tf.Tensor[];
  /** The weights the aggregator gave each loss, when it combines rows with weights. */
  weights?: number[];
}

/**
 * Runs the multi-task backward pass and aggregates the shared Jacobian with `aggregator`,
 * retaining the graph (the caller frees it). The caller owns the returned gradients.
 *
 * When the aggregator only needs the Gramian (see `canUseGramianSum`), the Jacobian is never
 * formed: the Gramian is built from per-task gradients at each trunk layer, and the update
 * `Σᵢ wᵢ ∇θ Lᵢ` from the same gradients combined with the weights (see `taskJacobian`).
 */
export function mtlAggregated(inputs: MtlInputs, aggregator: Aggregator): MtlAggregated {
  if (!canUseGramianSum(aggregator)) return viaJacobian(inputs, aggregator);
  const { losses, features, shared, tasks, seeds } = resolveMtlInputs(inputs);
  const heads = headPasses(losses, features, tasks, seeds);
  const result = {
    losses,
    features,
    taskParams: heads.taskParams,
    taskGradients: heads.taskGradients,
    sharedParams: shared,
  };
  try {
    if (shared.length === 0) return { ...result, sharedGradients: [] };
    const jacobian = taskJacobian(
      features,
      heads.featureGradients,
      planTaskGramian(features, shared),
      inputs.parallelChunkSize,
    );
    try {
      // m × m values: checked in JavaScript, without the two kernels and the sync of isAllFinite.
      if (!jacobian.gramianValues.every(Number.isFinite)) throwNonFinite();
      const weights = gramianWeights(aggregator.gramianWeighting, jacobian);
      return { ...result, sharedGradients: jacobian.combine(weights), weights };
    } finally {
      jacobian.dispose();
    }
  } catch (error) {
    tf.dispose(heads.taskGradients);
    throw error;
  } finally {
    tf.dispose(heads.featureGradients);
  }
}

/**
 * The weights of the checked Gramian: straight from its values for a weighting that computes in
 * JavaScript and has no hooks (see `Weighting.weightsOfValues`), else through `apply`.
 */
function gramianWeights(weighting: Weighting, jacobian: TaskJacobian): number[] {
  const { m } = jacobian;
  if (m > 0 && !weighting.hasHooks()) {
    const weights = weighting.weightsOfValues(rowsOf(jacobian.gramianValues, m, m));
    if (weights !== undefined) {
      weighting.checkWeightValues(weights);
      return weights;
    }
  }
  const w = weighting.apply(jacobian.gramian);
  try {
    return Array.from(w.dataSync());
  } finally {
    w.dispose();
  }
}

/** The general path: the per-task Jacobian rows, stacked, then the aggregator. */
function viaJacobian(inputs: MtlInputs, aggregator: Aggregator): MtlAggregated {
  const result = mtlJacobian(inputs);
  const { sharedJacobians, ...rest } = result;
  try {
    if (result.sharedParams.length === 0) return { ...rest, sharedGradients: [] };
    const losses = isLossAware(aggregator) ? lossValues(result.losses) : undefined;
    const aggregated = aggregateJacobians(sharedJacobians, aggregator, true, losses);
    return { ...rest, sharedGradients: aggregated.gradients, weights: aggregated.weights };
  } catch (error) {
    tf.dispose(result.taskGradients);
    throw error;
  } finally {
    tf.dispose(sharedJacobians);
  }
}

/** One value per loss for a loss-aware aggregator: the losses must be scalars. */
function lossValues(losses: tf.Tensor[]): number[] {
  return losses.map((loss, i) => {
    if (loss.size !== 1) {
      throw new InvalidArgumentError(
        'aggregator',
        `needs one scalar loss per task (it weighs them by their values), but loss ${i} has ` +
          `shape [${loss.shape}].`,
      );
    }
    return loss.dataSync()[0];
  });
}

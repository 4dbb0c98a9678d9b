/**
 * From per-variable Jacobians to per-variable gradients with an aggregator: the step shared by
 * `jacToGrad`, `mtlBackward({ aggregator })` and `mtlGrads`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  GramianWeightedAggregator,
  isAllFinite,
  WeightedAggregator,
  type Aggregator,
} from '../aggregation/aggregator_bases';
import { isLossAware } from '../aggregation/loss_aware';
import { NumericalError } from '../errors';
import { rowGramian, weightedRowSum } from '../tensor_products';

/** The gradients, shaped like the variables, and the weights when the aggregator uses some. */
export interface AggregatedJacobians {
  gradients: tf.Tensor[];
  weights?: number[];
}

/**
 * True when the Gramian of the Jacobian can be summed per variable instead of concatenating the
 * Jacobians: the aggregator only looks at the Gramian and no hook expects to see the matrix.
 */
export function canUseGramianSum(aggregator: Aggregator): aggregator is GramianWeightedAggregator {
  return (
    aggregator instanceof GramianWeightedAggregator &&
    !isLossAware(aggregator) &&
    !aggregator.hasHooks() &&
    !aggregator.weighting.hasHooks()
  );
}

/** The error for a Jacobian (or its Gramian) with NaN or infinite entries. */
export function throwNonFinite(): never {
  throw new NumericalError(
    'The Jacobian has NaN or infinite entries (a loss or one of its gradients is not finite); ' +
      'refusing to aggregate it into the gradients.',
  );
}

/**
 * Aggregates the Jacobians (`[m, ...variableShape]` each, same m) into one gradient per variable.
 * With `gramianSum` (see {@link canUseGramianSum}), `G = Σ_v J_v J_vᵀ` and `g_v = wᵀ J_v`, which is
 * exactly what the aggregator would compute on the concatenated matrix, without building it.
 * `losses` (one value per row) go to a loss-aware aggregator; without them it throws.
 */
export function aggregateJacobians(
  jacobians: tf.Tensor[],
  aggregator: Aggregator,
  gramianSum: boolean,
  losses?: ArrayLike<number>,
): AggregatedJacobians {
  const m = jacobians[0].shape[0];
  const matrices = jacobians.map((j) => j.reshape([m, -1]) as tf.Tensor2D);
  try {
    if (gramianSum && canUseGramianSum(aggregator)) {
      const gramian = tf.tidy(() =>
        matrices.map((j) => rowGramian(j)).reduce((a, b) => tf.add(a, b)),
      ) as tf.Tensor2D;
      try {
        if (!isAllFinite(gramian)) throwNonFinite();
        const weights = aggregator.gramianWeighting.apply(gramian);
        const gradients = tf.tidy(() =>
          jacobians.map((jacobian) => weightedRowSum(weights, jacobian)),
        );
        const values = Array.from(weights.dataSync());
        weights.dispose();
        return { gradients, weights: values };
      } finally {
        gramian.dispose();
      }
    }
    const matrix = tf.concat(matrices, 1) as tf.Tensor2D;
    try {
      if (!isAllFinite(matrix)) throwNonFinite();
      let weights: number[] | undefined;
      const capture =
        aggregator instanceof WeightedAggregator
          ? aggregator.weighting.registerForwardHook((_w, _args, output) => {
              weights = Array.from(output.dataSync());
            })
          : undefined;
      let vector: tf.Tensor1D;
      try {
        vector =
          isLossAware(aggregator) && losses !== undefined
            ? aggregator.applyWithLosses(matrix, losses)
            : aggregator.apply(matrix);
      } finally {
        capture?.remove();
      }
      const sizes = jacobians.map((j) => j.size / m);
      const gradients = tf.tidy(() =>
        tf.split(vector, sizes).map((g, i) => g.reshape(jacobians[i].shape.slice(1))),
      );
      vector.dispose();
      return { gradients, weights };
    } finally {
      matrix.dispose();
    }
  } finally {
    tf.dispose(matrices);
  }
}

import * as tf from '@tensorflow/tfjs';
import { checkIsAggregator, type Aggregator } from '../aggregation/aggregator_bases';
import { readOptions } from '../argument_checks';
import { accumulateGrad, accumulateJac, freeGraphsReaching } from '../autograd';
import { mtlAggregated } from './mtl_aggregated';
import { mtlJacobian, type MtlInputs } from './mtl_jacobian';

/** Options of {@link mtlBackward}. */
export interface MtlBackwardOptions extends MtlInputs {
  /** Keep the graph so it can be differentiated again; default false. */
  retainGraph?: boolean;
  /**
   * Aggregate the shared Jacobian straight into the shared parameters' `.grad` with this
   * aggregator, as TorchJD ≤ 0.8's `mtl_backward(…, A=aggregator)`. The `.jac` store is then left
   * exactly as it was: the Jacobian of this call never goes there (0.8 had no `.jac`), so a `.jac`
   * accumulated by earlier calls is neither consumed nor cleared.
   */
  aggregator?: Aggregator;
}

/**
 * The multi-task backward pass of TorchJD's `mtl_backward`: for each loss, its gradient with respect
 * to its task-specific parameters is accumulated into their `.grad` (summed where tasks share a
 * parameter), and the Jacobian of all losses with respect to the shared parameters (one row per
 * loss) into their `.jac`. One recorded forward pass; one backward pass per loss through the trunk.
 * The method is Jacobian descent, from Quinton & Rey, "Jacobian Descent for Multi-Objective
 * Optimization" (2024), arXiv:2406.16232.
 *
 * @example
 * ```ts
 * const { features, losses } = record(() => {
 *   const features = trunk.apply(x) as tf.Tensor;
 *   return { features, losses: [loss1(head1.apply(features)), loss2(head2.apply(features))] };
 * });
 * mtlBackward({ losses, features });
 * jacToGrad(trunkVariables, new UPGrad());
 * optimizer.applyGradients(gradsMap());
 * zeroGrad();
 * ```
 */
export function mtlBackward(options: MtlBackwardOptions): void {
  readOptions(options, 'mtlBackward', ['losses', 'features'], 'mtlBackward({ losses, features })');
  const { aggregator } = options;
  if (aggregator !== undefined) checkIsAggregator(aggregator, 'aggregator');
  // Aggregated before touching the store: a rejected Jacobian (NumericalError) changes nothing,
  // neither the store nor the graph.
  const result =
    aggregator === undefined ? mtlJacobian(options) : mtlAggregated(options, aggregator);
  const shared = 'sharedJacobians' in result ? result.sharedJacobians : result.sharedGradients;
  const accumulateShared = aggregator === undefined ? accumulateJac : accumulateGrad;
  try {
    result.taskParams.forEach((p, i) => accumulateGrad(p, result.taskGradients[i]));
    result.sharedParams.forEach((p, i) => accumulateShared(p, shared[i]));
  } finally {
    tf.dispose([...result.taskGradients, ...shared]);
    if (!options.retainGraph) freeGraphsReaching([...result.losses, ...result.features]);
  }
}

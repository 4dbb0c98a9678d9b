import * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../aggregation/aggregator_bases';
import { accumulateGrad, accumulateJac, freeGraphsReaching } from '../autograd';
import { jacToGrad } from './jac_to_grad';
import { mtlJacobian, type MtlInputs } from './mtl_jacobian';

/** Options of {@link mtlBackward}. */
export interface MtlBackwardOptions extends MtlInputs {
  /** Keep the graph so it can be differentiated again; default false. */
  retainGraph?: boolean;
  /**
   * Also aggregate the shared Jacobian into `.grad` with this aggregator, as TorchJD ≤ 0.8's
   * `mtl_backward(…, A=aggregator)`; the `.jac` it filled is then cleared.
   */
  aggregator?: Aggregator;
}

/**
 * The multi-task backward pass of TorchJD's `mtl_backward`: for each loss, its gradient with respect
 * to its task-specific parameters is accumulated into their `.grad` (summed where tasks share a
 * parameter), and the Jacobian of all losses with respect to the shared parameters (one row per
 * loss) into their `.jac`. One recorded forward pass; one backward pass per loss through the trunk.
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
  const result = mtlJacobian(options);
  try {
    result.taskParams.forEach((p, i) => accumulateGrad(p, result.taskGradients[i]));
    result.sharedParams.forEach((p, i) => accumulateJac(p, result.sharedJacobians[i]));
  } finally {
    tf.dispose([...result.taskGradients, ...result.sharedJacobians]);
    if (!options.retainGraph) freeGraphsReaching([...result.losses, ...result.features]);
  }
  if (options.aggregator !== undefined && result.sharedParams.length > 0) {
    jacToGrad(result.sharedParams, options.aggregator);
  }
}

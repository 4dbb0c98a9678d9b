import * as tf from '@tensorflow/tfjs';
import { checkIsAggregator, type Aggregator } from '../aggregation/aggregator_bases';
import { readOptions } from '../argument_checks';
import { accumulateGrad, clearJac, jacOf } from '../autograd';
import { InvalidArgumentError } from '../errors';
import { aggregateJacobians, canUseGramianSum } from './aggregate_jacobians';
import { variableList } from './checks';
import type { Variables } from '../autograd/variable_list';

/** Options of {@link jacToGrad}. */
export interface JacToGradOptions {
  /** Keep the `.jac` of the variables after use; default false (they are cleared). */
  retainJac?: boolean;
  /**
   * Sum per-variable Gramians instead of concatenating the Jacobians (exactly equivalent; needs a
   * Gramian-based aggregator without hooks). Default false, as TorchJD.
   */
  optimizeGramianComputation?: boolean;
  /**
   * The current value of each objective (one per Jacobian row), for an aggregator that needs them
   * (`needsLosses`: GradNorm, DB-MTL, IMTL…).
   */
  losses?: tf.Tensor | ArrayLike<number>;
}

/**
 * Aggregates the Jacobians stored in the `.jac` of `variables` (all with the same number of rows)
 * with `aggregator`, and accumulates the result into their `.grad` (`variables`: any iterable,
 * `model.trainableWeights` included). Returns the weights the
 * aggregator used, when it combines rows with weights (as a plain array: nothing to dispose). As
 * TorchJD's `jac_to_grad`, except on failure: when the aggregation throws (e.g. `NumericalError` for
 * a Jacobian with NaN or infinite entries), `.grad` and `.jac` are left exactly as they were, so the
 * offending Jacobian can still be inspected (TorchJD has already deleted it by then).
 *
 * @example
 * ```ts
 * mtlBackward({ losses, features });
 * jacToGrad(sharedVariables, new UPGrad());
 * optimizer.applyGradients(gradsMap());
 * zeroGrad();
 * ```
 */
export function jacToGrad(
  variables: Variables,
  aggregator: Aggregator,
  options: JacToGradOptions = {},
): number[] | undefined {
  checkIsAggregator(aggregator, 'aggregator');
  options = readOptions(options, 'jacToGrad');
  const vars = variableList(variables, 'variables');
  if (vars.length === 0) throw new InvalidArgumentError('variables', 'cannot be empty.');
  const jacobians = vars.map((v) => {
    const j = jacOf(v);
    if (j === null) {
      throw new InvalidArgumentError(
        'variables',
        `variable '${v.name}' has no .jac. Did you call autojac.backward or mtlBackward before ` +
          'jacToGrad?',
      );
    }
    return j;
  });
  const rows = jacobians[0].shape[0];
  jacobians.forEach((j, i) => {
    if (j.shape[0] !== rows) {
      throw new InvalidArgumentError(
        'variables',
        `the .jac of '${vars[i].name}' has ${j.shape[0]} rows but that of '${vars[0].name}' has ` +
          `${rows}: all Jacobians must have the same number of rows (objectives).`,
      );
    }
  });
  if (options.optimizeGramianComputation) {
    if (!canUseGramianSum(aggregator)) {
      throw new InvalidArgumentError(
        'optimizeGramianComputation',
        'needs an aggregator that weights rows from the Gramian (e.g. UPGrad) and has no hooks.',
      );
    }
  }
  const losses = options.losses === undefined ? undefined : lossList(options.losses);
  const { gradients, weights } = aggregateJacobians(
    jacobians,
    aggregator,
    options.optimizeGramianComputation ?? false,
    losses,
  );
  gradients.forEach((g, i) => accumulateGrad(vars[i], g));
  tf.dispose(gradients);
  if (!options.retainJac) clearJac(vars);
  return weights;
}

function lossList(losses: tf.Tensor | ArrayLike<number>): ArrayLike<number> {
  if (typeof (losses as tf.Tensor).dataSync !== 'function') return losses as ArrayLike<number>;
  const tensor = losses as tf.Tensor;
  if (tensor.isDisposed) throw new InvalidArgumentError('losses', 'the tensor is disposed.');
  return tensor.dataSync();
}

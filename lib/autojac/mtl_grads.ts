import * as tf from '@tensorflow/tfjs';
import { checkIsAggregator, type Aggregator } from '../aggregation/aggregator_bases';
import { describeValue, readOptions } from '../argument_checks';
import { freeGraphsReaching, record } from '../autograd';
import { InvalidArgumentError } from '../errors';
import { mtlAggregated } from './mtl_aggregated';
import type { Variables } from '../autograd/variable_list';

/** Options of {@link mtlGrads}. */
export interface MtlGradsOptions {
  /** Combines the shared Jacobian (one row per loss) into the shared parameters' gradient. */
  aggregator: Aggregator;
  /** Parameters of the shared trunk; default: the variables the features depend on. */
  sharedParams?: Variables;
  /** Parameters of each task's head; default: the variables each loss reaches not through the features. */
  tasksParams?: Iterable<Variables>;
  /**
   * How many losses (rows of the shared Jacobian) are differentiated together, in one batched backward pass
   * (TorchJD's `parallel_chunk_size`): `undefined` (default) all of them, `1` one plain backward
   * pass per row (slowest, least memory), any positive integer in between.
   */
  parallelChunkSize?: number;
}

/** What {@link mtlGrads} returns. */
export interface MtlGradsResult {
  /** The losses `fn` returned (the caller disposes them). */
  losses: tf.Scalar[];
  /**
   * Variable name → gradient, for `optimizer.applyGradients` (the caller disposes them), in the
   * order the variables were created, as `tf.variableGrads` gives them: tfjs optimizers match
   * their state to the gradients by position.
   */
  grads: tf.NamedTensorMap;
  /** The weights the aggregator gave each loss, when it combines rows with weights. */
  weights?: number[];
}

/**
 * Jacobian descent in the style of `tf.variableGrads`: runs `fn` (which returns the shared
 * `features` and one scalar loss per task), and returns the gradients of every parameter: task
 * parameters get their loss's gradient, shared parameters the aggregation of the Jacobian of all
 * losses. The `.grad`/`.jac` store is not touched and no graph is left behind. Equivalent to
 * `record` + `mtlBackward` + `jacToGrad`, and faster: when the aggregator only needs the Gramian
 * (UPGrad, MGDA, DualProj… without hooks), the Jacobian is never formed: the Gramian is built from
 * each task's gradients at the trunk's layer outputs, and the shared gradients from the same
 * gradients combined with the aggregator's weights.
 *
 * @example
 * ```ts
 * const aggregator = new UPGrad();
 * const { losses, grads } = mtlGrads(() => {
 *   const features = trunk.apply(x) as tf.Tensor;
 *   return { features, losses: [mse(y1, head1.apply(features)), mse(y2, head2.apply(features))] };
 * }, { aggregator });
 * optimizer.applyGradients(grads);
 * tf.dispose([losses, grads]);
 * ```
 */
export function mtlGrads(
  fn: () => { features: tf.Tensor | tf.Tensor[]; losses: tf.Tensor[] },
  options: MtlGradsOptions,
): MtlGradsResult {
  const { aggregator } = readOptions(
    options,
    'mtlGrads',
    ['aggregator'],
    'mtlGrads(fn, { aggregator: new UPGrad() })',
  );
  checkIsAggregator(aggregator, 'aggregator');
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError('fn', `expected a function, got ${describeValue(fn)}.`);
  }
  const out = record(fn);
  if (out === null || typeof out !== 'object' || !Array.isArray(out.losses)) {
    throw new InvalidArgumentError('fn', 'must return { features, losses: [l1, l2, …] }.');
  }
  const features = Array.isArray(out.features) ? out.features : [out.features];
  const keep = new Set(out.losses);
  try {
    const result = mtlAggregated(
      {
        losses: out.losses,
        features: out.features,
        sharedParams: options.sharedParams,
        tasksParams: options.tasksParams,
        parallelChunkSize: options.parallelChunkSize,
      },
      aggregator,
    );
    // tfjs optimizers keep their slots (Adam's moments…) by position in this map, not by name:
    // the keys come in the order the variables were created, as `tf.variableGrads` lists them
    // (and `model.fit` for a model built layer after layer), so that steps of either kind can
    // share one optimizer.
    const entries: [tf.Variable, tf.Tensor][] = [
      ...result.taskParams.map((p, i) => [p, result.taskGradients[i]] as [tf.Variable, tf.Tensor]),
      ...result.sharedParams.map(
        (p, i) => [p, result.sharedGradients[i]] as [tf.Variable, tf.Tensor],
      ),
    ];
    entries.sort(([a], [b]) => a.id - b.id);
    const grads: tf.NamedTensorMap = {};
    for (const [p, g] of entries) grads[p.name] = g;
    const weights = result.weights;
    return { losses: out.losses as tf.Scalar[], grads, weights };
  } catch (error) {
    tf.dispose(out.losses);
    throw error;
  } finally {
    freeGraphsReaching([...out.losses, ...features]);
    tf.dispose(features.filter((f) => !keep.has(f)));
  }
}

import type * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../aggregation/aggregator_bases';
import type { Weighting } from '../aggregation/weighting_bases';

/** A layer of the model, or its name. */
export type LayerRef = string | { name: string };

/**
 * What Jacobian descent adds to tfjs's fit arguments: how the per-output gradients are combined,
 * and (optionally) which layers are shared.
 *
 * @example
 * ```ts
 * await jdFit(model, x, [y1, y2], { epochs: 3, aggregator: new MGDA(), sharedLayers: ['trunk'] });
 * await jdFit(singleOutputModel, x, y, { weighting: new UPGradWeighting() });
 * ```
 */
export interface JdOptions {
  /**
   * Combines the Jacobian of the outputs' losses with respect to the shared weights (one row per
   * output) into the shared weights' update. Default: `new UPGrad()`. Aggregators that need the
   * loss values too (`isLossAware`) receive them.
   */
  aggregator?: Aggregator;
  /**
   * Instance-wise risk minimization on a single-output model: the weighting gets the `[b, b]`
   * Gramian of the per-example losses of the compiled loss (autogram's `Engine`), and one weighted
   * backward pass gives the update. Exclusive with `aggregator`.
   */
  weighting?: Weighting;
  /**
   * The layers whose weights are shared by the outputs (names or layers). Default: found from the
   * model's graph (the layers with trainable weights that reach more than one output). A layer
   * left out that still serves several outputs gets the sum of their gradients, as in fit.
   */
  sharedLayers?: LayerRef[];
  /**
   * A factor per output (array in output order, or output name → factor) multiplying its loss
   * before the Jacobian is taken, as Keras' `lossWeights` (tfjs' `compile` has no such option).
   */
  lossWeights?: number[] | { [outputName: string]: number };
}

/**
 * The arguments of {@link jdFit}: tfjs's `ModelFitArgs` (epochs, batchSize, shuffle,
 * validationData, validationSplit, initialEpoch, stepsPerEpoch, callbacks, verbose, yieldEvery)
 * plus {@link JdOptions}.
 */
export interface JdFitArgs extends tf.ModelFitArgs, JdOptions {}

/**
 * The arguments of {@link jdFitDataset}: tfjs's `ModelFitDatasetArgs` (epochs, batchesPerEpoch,
 * validationData, validationBatches, validationBatchSize, initialEpoch, callbacks, verbose,
 * yieldEvery) plus {@link JdOptions}.
 */
export interface JdFitDatasetArgs<T> extends tf.ModelFitDatasetArgs<T>, JdOptions {}

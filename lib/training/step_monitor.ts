/**
 * Watches the aggregator during one step, to log what it did: the cosine between the update of the
 * shared weights and the mean of the outputs' gradients. A Gramian-based aggregator is watched on
 * its `gramianWeighting` (so the fast path, which never forms the Jacobian, still applies):
 * with `G = J Jᵀ`, weights `w` and `1` the all-ones vector, `cos = wᵀG1 / √(wᵀGw · 1ᵀG1)`.
 * Any other aggregator sees the Jacobian anyway, and is watched through a forward hook.
 */
import * as tf from '@tensorflow/tfjs';
import { GramianWeightedAggregator, type Aggregator } from '../aggregation/aggregator_bases';
import type { RemovableHandle } from '../hooks';
import { gramianCosine } from './gramian_cosine';

/** What the monitor saw during the last step. */
export interface StepMonitor {
  /** The cosine of the last step given the weights it used (NaN if nothing was seen). */
  cosine(weights: number[] | undefined): number;
  /** Forgets the last step. */
  clear(): void;
  /** Removes the hooks. */
  remove(): void;
}

/** Registers the hooks that let {@link StepMonitor} compute the cosine. */
export function monitorAggregator(aggregator: Aggregator): StepMonitor {
  let gramian: Float64Array | undefined;
  let direct: number | undefined;
  let handle: RemovableHandle;
  if (aggregator instanceof GramianWeightedAggregator) {
    handle = aggregator.gramianWeighting.registerForwardHook((_w, [g]) => {
      gramian = Float64Array.from(g.dataSync());
    });
  } else {
    handle = aggregator.registerForwardHook((_a, [matrix], update) => {
      direct = tf.tidy(() => {
        const mean = tf.mean(matrix, 0);
        const dot = tf.sum(tf.mul(mean, update));
        return tf.div(dot, tf.mul(tf.norm(mean), tf.norm(update))).dataSync()[0];
      });
    });
  }
  return {
    cosine(weights) {
      if (direct !== undefined) return direct;
      if (gramian === undefined || weights === undefined) return NaN;
      return gramianCosine(gramian, weights);
    },
    clear() {
      gramian = undefined;
      direct = undefined;
    },
    remove() {
      handle.remove();
    },
  };
}

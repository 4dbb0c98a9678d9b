/**
 * The gradients of weights each read by one recorded operation, from the gradient at that
 * operation's output: what both Gramian paths (autogram's weighted backward, autojac's task
 * Gramian) do instead of a backward pass once they know the output gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { inputGradients, type TapeNode } from '../autograd';
import { reshaped } from '../tensor_shapes';

/** A weight, the one recorded operation reading it, and where that operation's output gradient is. */
export interface WeightSite {
  weight: tf.Variable;
  node: TapeNode;
  /** The input of `node` the weight (or a reshape of it) is fed to. */
  inputName: string;
  /** The tensor whose gradient is that of `node`'s output (its output, or an addition's after it). */
  output: tf.Tensor;
}

/**
 * Each site's weight gradient, for `outputGradient(site.output)` at the sites' outputs: one call
 * of each operation's gradient function for all the weights it reads (a fused Dense's kernel and
 * bias), reshaped to the weight's shape.
 */
export function siteWeightGradients(
  sites: WeightSite[],
  outputGradient: (output: tf.Tensor) => tf.Tensor,
): Map<tf.Variable, tf.Tensor> {
  const byNode = new Map<TapeNode, WeightSite[]>();
  for (const site of sites) byNode.set(site.node, [...(byNode.get(site.node) ?? []), site]);
  const gradients = new Map<tf.Variable, tf.Tensor>();
  for (const [node, nodeSites] of byNode) {
    const names = nodeSites.map((site) => site.inputName);
    const found = inputGradients(node, names, outputGradient(nodeSites[0].output));
    for (const site of nodeSites) {
      gradients.set(site.weight, reshaped(found[site.inputName], site.weight.shape));
    }
  }
  return gradients;
}

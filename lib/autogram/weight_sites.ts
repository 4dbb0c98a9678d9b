/**
 * Weights each read by one recorded operation (a closed form's "site"), as both Gramian paths see
 * them (autogram's instance rows, autojac's task rows): which dense kernel and bias share one
 * output gradient, and the weights' gradients from the gradients at the operations' outputs, which
 * is what those paths do instead of a backward pass once they know them.
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

/**
 * The (kernel, bias) pairs of dense layers `y = A·W + b` whose two sites see the same output
 * gradient at `y`: the bias read by the kernel's own node (tf.layers' fused Dense), or added to the
 * kernel's output `z` where nothing else on the paths (`nodes`) reads `z` and `z` is not one of the
 * `ends` the gradients start from (then the gradient at `z` is the one at `y`). The Gramian blocks
 * of such a pair are one, `AAᵀ + 11ᵀ` in place of `AAᵀ`, and one output gradient gives both
 * weights' gradients.
 */
export function denseBiasPairs<S extends WeightSite>(
  sites: S[],
  nodes: { inputs: tf.NamedTensorMap }[],
  ends: tf.Tensor[],
  isKernel: (site: S) => boolean,
  isBias: (site: S) => boolean,
): [kernel: S, bias: S][] {
  const readers = new Map<number, number>(ends.map((end) => [end.id, 1]));
  for (const node of nodes) {
    for (const input of Object.values(node.inputs)) {
      readers.set(input.id, (readers.get(input.id) ?? 0) + 1);
    }
  }
  const kernelAt = new Map<tf.Tensor, S>();
  for (const site of sites) if (isKernel(site)) kernelAt.set(site.output, site);
  const pairs: [S, S][] = [];
  const paired = new Set<S>();
  for (const bias of sites) {
    if (!isBias(bias) || bias.output.rank !== 2) continue;
    const [, addend] = Object.entries(bias.node.inputs).find(([name]) => name !== bias.inputName)!;
    const below = kernelAt.get(addend);
    const kernel =
      sites.find((site) => isKernel(site) && site.node === bias.node) ??
      (below !== undefined && readers.get(addend.id) === 1 ? below : undefined);
    if (kernel === undefined || paired.has(kernel)) continue;
    paired.add(kernel);
    pairs.push([kernel, bias]);
  }
  return pairs;
}

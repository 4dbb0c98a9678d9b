/**
 * The weighted backward pass of an IWRM step, from what the Gramian pass already computed.
 *
 * `Engine.computeGramian` gets, in one backward pass, every instance's gradient with respect to the
 * output of each operation that reads a weight (`rows`). The backward pass that follows,
 * `backward(losses, { gradient: w })`, needs at those outputs the gradient of `Σ_b w_b L_b`, which,
 * instances being independent (what the Gramian already assumes), is `diag(w)` times those rows: so
 * each weight's gradient is one step of its operation's own gradient function (for a dense layer,
 * `Aᵀ diag(w) Δ`), with no second pass through the model.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradientShortcut } from '../autograd';
import { siteWeightGradients } from './weight_sites';
import { reshaped } from '../tensor_shapes';
import type { PlannedSite } from './sites';

/**
 * A gradient shortcut for backward passes from `losses` (`[b, ...]`, `tasks` elements per
 * instance) to the weights of `sites`, from `rows`: for each site output, the gradient of each loss
 * element, `[b · tasks, ...rowShape]` (row `instance · tasks + task`). Takes ownership of `rows`.
 */
export function weightedBackwardShortcut(
  losses: tf.Tensor,
  sites: PlannedSite[],
  rows: Map<tf.Tensor, tf.Tensor>,
): GradientShortcut {
  const siteOf = new Map(sites.map((site) => [site.weight, site]));
  const rowCount = losses.size;
  const batchSize = losses.shape[0];
  for (const held of rows.values()) tf.keep(held);
  return {
    variables: new Set(siteOf.keys()),
    gradients: (seed, variables) =>
      tf.tidy(() => {
        const outputGradients = new Map<tf.Tensor, tf.Tensor>();
        const tasks = rowCount / batchSize;
        // On flattened rows: wasm transposes a tensor to sum it over an inner axis, and products
        // broadcast over many axes are slower there than over two.
        const instanceSeed =
          tasks === 1 ? reshaped(seed, [batchSize, 1]) : reshaped(seed, [batchSize, 1, tasks]);
        const outputGradient = (output: tf.Tensor) => {
          let found = outputGradients.get(output);
          if (found === undefined) {
            const perRow = rows.get(output)!;
            const size = perRow.size / rowCount;
            const weighted =
              tasks === 1
                ? tf.mul(reshaped(perRow, [batchSize, size]), instanceSeed)
                : tf.matMul(instanceSeed, tf.reshape(perRow, [batchSize, tasks, size]));
            found = reshaped(weighted, output.shape);
            outputGradients.set(output, found);
          }
          return found;
        };
        const gradients = siteWeightGradients(
          variables.map((variable) => siteOf.get(variable)!),
          outputGradient,
        );
        return variables.map((variable) => gradients.get(variable)!);
      }),
    dispose: () => tf.dispose([...rows.values()]),
  };
}

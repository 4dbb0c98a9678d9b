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
import { inputGradient, type GradientShortcut } from '../autograd';
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
        const outputGradient = (site: PlannedSite) => {
          let found = outputGradients.get(site.output);
          if (found === undefined) {
            const perRow = rows.get(site.output)!;
            const scale = tf.reshape(seed, [rowCount, ...site.rowShape.map(() => 1)]);
            const weighted = tf.mul(perRow, scale);
            const perInstance =
              rowCount === batchSize
                ? weighted
                : tf.sum(
                    tf.reshape(weighted, [batchSize, rowCount / batchSize, ...site.rowShape]),
                    1,
                  );
            found = tf.reshape(perInstance, site.output.shape);
            outputGradients.set(site.output, found);
          }
          return found;
        };
        return variables.map((variable) => {
          const site = siteOf.get(variable)!;
          const gradient = inputGradient(site.node, site.inputName, outputGradient(site));
          return tf.reshape(gradient, variable.shape);
        });
      }),
    dispose: () => tf.dispose([...rows.values()]),
  };
}

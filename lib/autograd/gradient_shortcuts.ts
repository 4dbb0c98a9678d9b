/**
 * Gradient shortcuts: a pass that has already walked a recorded graph backward from some tensor can
 * leave behind how to finish any later backward pass from that tensor, so that the later pass skips
 * the walk. Autogram's Gramian pass leaves one: it holds each layer's per-instance output
 * gradients, from which the weighted backward pass of an IWRM step (`backward(losses, { gradient:
 * weights })`) is a few matrix products per layer instead of a second pass through the model.
 */
import * as tf from '@tensorflow/tfjs';
import { graphOf } from './graph';

/** How to get the gradients of `⟨seed, output⟩` for some variables without walking the graph. */
export interface GradientShortcut {
  /** The variables it can give gradients for. */
  readonly variables: ReadonlySet<tf.Variable>;
  /**
   * The gradient of `⟨seed, output⟩` (`seed` of the output's shape) with respect to each of
   * `variables`, all in {@link variables}; the caller owns them.
   */
  gradients(seed: tf.Tensor, variables: tf.Variable[]): tf.Tensor[];
  /** Frees what it holds. */
  dispose(): void;
}

/** Shortcuts by the tensor they start from; each is disposed with its graph. */
const shortcuts = new WeakMap<tf.Tensor, GradientShortcut>();

/**
 * Registers `shortcut` for backward passes from `output` (a recorded tensor), replacing (and
 * disposing) any earlier one; it is disposed when the graph of `output` is freed, or when a
 * backward pass that does not retain the graph uses it.
 */
export function setGradientShortcut(output: tf.Tensor, shortcut: GradientShortcut): void {
  const graph = graphOf(output);
  if (graph === undefined || graph.freed) {
    shortcut.dispose();
    return;
  }
  dropGradientShortcut(output);
  shortcuts.set(output, shortcut);
  graph.onFree(() => dropGradientShortcut(output));
}

/** The shortcut registered for `output`, if it covers every one of `inputs`. */
export function gradientShortcutFor(
  output: tf.Tensor,
  inputs: tf.Tensor[],
): GradientShortcut | undefined {
  const shortcut = shortcuts.get(output);
  if (shortcut === undefined || graphOf(output)?.freed !== false) return undefined;
  const covered = shortcut.variables as ReadonlySet<tf.Tensor>;
  return inputs.every((input) => covered.has(input)) ? shortcut : undefined;
}

/** Unregisters and disposes the shortcut of `output`, if any. */
export function dropGradientShortcut(output: tf.Tensor): void {
  shortcuts.get(output)?.dispose();
  shortcuts.delete(output);
}

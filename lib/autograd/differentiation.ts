/**
 * PyTorch's `tensor.backward()` and `torch.autograd.grad` over graphs recorded by `record`.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, NotRecordedError } from '../errors';
import { differentiate, nodesOnPaths, releasePath } from './backprop';
import { dropGradientShortcut, gradientShortcutFor } from './gradient_shortcuts';
import { graphOf, isRecordedLeaf, producerOf } from './graph';
import type { TapeNode } from './tfjs_internals';
import { accumulateGrad } from './store';
import { tensorListOf, variableList, type VariableLike, type Variables } from './variable_list';
import { isVariable } from '../tfjs_guards';

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** The gradient of some scalar with respect to `tensor` (same shape); defaults to 1 for a scalar. */
  gradient?: tf.Tensor | tf.Tensor[];
  /** Variables whose `.grad` receives the result; defaults to every trainable variable reached. */
  inputs?: Variables;
  /**
   * Keep the graph so it can be differentiated again. Default false: the saved tensors of the
   * recorded operations this pass goes through are disposed, and a later pass through them
   * throws `GraphFreedError` (other branches of the same record stay usable, as in PyTorch).
   */
  retainGraph?: boolean;
}

/** Options of {@link grad}. */
export interface GradOptions {
  /** The gradient of some scalar with respect to each output; defaults to 1 for scalars. */
  gradOutputs?: tf.Tensor | tf.Tensor[];
  /**
   * Keep the graph so it can be differentiated again. Default false: the saved tensors of the
   * recorded operations this pass goes through are disposed, and a later pass through them
   * throws `GraphFreedError` (other branches of the same record stay usable, as in PyTorch).
   */
  retainGraph?: boolean;
}

/** A tensor or any iterable of tensors (LayerVariables read), as a non-empty list of live ones. */
function asList(value: unknown, argument: string): tf.Tensor[] {
  const list = tensorListOf(value, argument);
  if (list.length === 0) throw new InvalidArgumentError(argument, 'expected at least one tensor.');
  return list;
}

function checkRecorded(outputs: tf.Tensor[], argument: string): void {
  outputs.forEach((t, i) => {
    if (!isRecorded(t)) {
      throw new NotRecordedError(
        `\`${argument}\`${outputs.length > 1 ? ` element ${i}` : ''} (shape [${t.shape}]) was not ` +
          'computed inside record(): there is no graph to differentiate. Compute it inside ' +
          '`record(() => …)` and return it.',
      );
    }
  });
}

/** The seeds of a backward pass: the given gradients, checked, or ones for scalar outputs. */
function seedsFor(
  outputs: tf.Tensor[],
  given: tf.Tensor | tf.Tensor[] | undefined,
  argument: string,
): tf.Tensor[] {
  if (given === undefined) {
    return outputs.map((output) => {
      if (output.size !== 1) {
        throw new InvalidArgumentError(
          argument,
          `required for a non-scalar output (shape [${output.shape}]): pass the gradient of the ` +
            'objective with respect to it, of the same shape.',
        );
      }
      return tf.ones(output.shape, output.dtype);
    });
  }
  const seeds = asList(given, argument);
  if (seeds.length !== outputs.length) {
    throw new InvalidArgumentError(
      argument,
      `expected ${outputs.length} gradient(s), one per output, got ${seeds.length}.`,
    );
  }
  seeds.forEach((seed, i) => {
    if (!tf.util.arraysEqual(seed.shape, outputs[i].shape)) {
      throw new InvalidArgumentError(
        argument,
        `gradient ${i} has shape [${seed.shape}] but its output has shape [${outputs[i].shape}].`,
      );
    }
  });
  return seeds.map((s) => s.clone());
}

/**
 * {@link differentiate}, through the gradient shortcut registered for the output when there is one
 * for all of `inputs` (see `setGradientShortcut`): the walk through the graph is skipped, not its
 * effects: a freed graph still throws `GraphFreedError`, and the nodes are freed as the walk would
 * have freed them.
 */
function gradients(
  outputs: tf.Tensor[],
  seeds: tf.Tensor[],
  inputs: tf.Tensor[],
  retainGraph: boolean,
): (tf.Tensor | null)[] {
  const shortcut = outputs.length === 1 ? gradientShortcutFor(outputs[0], inputs) : undefined;
  if (shortcut === undefined) return differentiate(outputs, seeds, inputs, retainGraph);
  const { path, graphs } = nodesOnPaths(outputs, new Set(inputs.map((t) => t.id)));
  const found = shortcut.gradients(seeds[0], inputs as tf.Variable[]);
  if (!retainGraph) {
    dropGradientShortcut(outputs[0]);
    releasePath(path, graphs);
  }
  return found;
}

/**
 * Trainable variables that `outputs` depend on, not counting paths that go through an `excluded`
 * tensor, in order of first use in the forward pass. For autojac and autogram.
 */
export function leafVariables(
  outputs: tf.Tensor[],
  options: { excluded?: tf.Tensor[] } = {},
): tf.Variable[] {
  const excluded = new Set((options.excluded ?? []).map((t) => t.id));
  // Variable → id of the first recorded node reading it (−1: an output that is a variable itself,
  // PyTorch's `leaf.backward()`). Found from the outputs back: only their ancestors are visited.
  const firstUse = new Map<tf.Variable, number>();
  const pending = outputs.filter((t) => !excluded.has(t.id));
  for (const output of pending) {
    if (isVariable(output) && output.trainable) firstUse.set(output, -1);
  }
  const seen = new Set<TapeNode>();
  while (pending.length > 0) {
    const node = producerOf(pending.pop()!);
    if (node === undefined || seen.has(node)) continue;
    seen.add(node);
    for (const name in node.inputs) {
      const input = node.inputs[name];
      if (excluded.has(input.id)) continue;
      if (isVariable(input) && input.trainable) {
        firstUse.set(input, Math.min(firstUse.get(input) ?? Infinity, node.id));
      }
      pending.push(input);
    }
  }
  return [...firstUse.entries()].sort((a, b) => a[1] - b[1]).map(([variable]) => variable);
}

/**
 * Accumulates into the `.grad` of variables (see {@link gradOf}) the gradient of `tensor`, as
 * PyTorch's `tensor.backward(gradient)`. For a non-scalar `tensor`, `gradient` is required: the
 * gradient of some scalar objective with respect to `tensor`. Several tensors may be given with one
 * gradient each (PyTorch's `torch.autograd.backward`).
 *
 * @example
 * ```ts
 * const a = tf.variable(tf.tensor2d([[1, 2, 3, 4]]));
 * const { d, e } = record(() => {
 *   const c = a.square().mul(2);
 *   return { d: c.mean(), e: c.sum() };
 * });
 * backward(d, { retainGraph: true });
 * backward(e);
 * gradOf(a)!.print(); // 5a = [[5, 10, 15, 20]]
 * ```
 */
export function backward(tensor: tf.Tensor | tf.Tensor[], options: BackwardOptions = {}): void {
  const outputs = asList(tensor, 'tensor');
  checkRecorded(outputs, 'tensor');
  // PyTorch rejects `inputs=[]` ("cannot be empty"); any iterable of variables is accepted.
  const given = options.inputs === undefined ? undefined : variableList(options.inputs, 'inputs');
  if (given !== undefined && given.length === 0) {
    throw new InvalidArgumentError('inputs', 'expected a non-empty list of tf.Variable.');
  }
  const seeds = seedsFor(outputs, options.gradient, 'gradient');
  try {
    const inputs = given ?? leafVariables(outputs);
    const grads = gradients(outputs, seeds, inputs, options.retainGraph ?? false);
    grads.forEach((g, i) => {
      if (g === null) return;
      accumulateGrad(inputs[i], g);
      g.dispose();
    });
  } finally {
    tf.dispose(seeds);
  }
}

/**
 * The gradients of `outputs` with respect to `inputs` (variables or any tensor recorded on the
 * way, intermediates included), as `torch.autograd.grad`: nothing is accumulated. An input the
 * outputs do not depend on gets a gradient of zeros. The caller owns the returned tensors.
 *
 * @example
 * ```ts
 * const a = tf.variable(tf.tensor1d([1, 2]));
 * const { b, d } = record(() => {
 *   const b = a.square();
 *   return { b, d: b.mul(2).mean() };
 * });
 * const [dB] = grad(d, [b]); // [1, 1]
 * ```
 */
export function grad(
  outputs: tf.Tensor | Iterable<tf.Tensor>,
  inputs: tf.Tensor | Iterable<tf.Tensor | VariableLike>,
  options: GradOptions = {},
): tf.Tensor[] {
  const outputList = asList(outputs, 'outputs');
  const inputList = asList(inputs, 'inputs');
  checkRecorded(outputList, 'outputs');
  const seeds = seedsFor(outputList, options.gradOutputs, 'gradOutputs');
  try {
    const grads = gradients(outputList, seeds, inputList, options.retainGraph ?? false);
    return grads.map((g, i) => g ?? tf.zerosLike(inputList[i]));
  } finally {
    tf.dispose(seeds);
  }
}

/**
 * True if `tensor` was produced inside `record` (or is a variable some recorded operation read),
 * so that backward passes can start from it. For autojac and autogram.
 */
export function isRecorded(tensor: tf.Tensor): boolean {
  return graphOf(tensor) !== undefined || isRecordedLeaf(tensor);
}

/** True if `output` depends on any of `inputs` through recorded operations. For autojac. */
export function dependsOn(output: tf.Tensor, inputs: tf.Tensor[]): boolean {
  const ids = new Set(inputs.map((t) => t.id));
  return ids.has(output.id) || nodesOnPaths([output], ids, false).path.length > 0;
}

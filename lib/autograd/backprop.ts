/**
 * Reverse-mode differentiation over recorded graphs: from any recorded tensors to any variables or
 * intermediate tensors, walking only the nodes on a path between them.
 */
import * as tf from '@tensorflow/tfjs';
import { TfjsJdError } from '../errors';
import { assertNodeAlive, freeNodes, graphsReaching, producerOf, type Graph } from './graph';
import type { TapeNode } from './tfjs_internals';

/** A node on a path from the inputs to the outputs, with its inputs pruned to those on the path. */
interface PathNode {
  node: TapeNode;
  inputNames: string[];
}

/**
 * The nodes between `inputIds` and `outputs`, in run order, and the graphs they belong to. Throws
 * `GraphFreedError` if one of them was freed, unless only the structure is wanted (`needSaved`
 * false).
 */
export function nodesOnPaths(
  outputs: tf.Tensor[],
  inputIds: Set<number>,
  needSaved = true,
): { path: PathNode[]; graphs: Graph[] } {
  const graphs = graphsReaching(outputs);
  // Only ancestors of the outputs can be on a path: found from the outputs back, they are what a
  // backward pass from one head's loss visits, not the whole recorded graph (every head's nodes).
  const nodes = ancestorsInRunOrder(outputs);

  const dependsOnInputs = new Set(inputIds);
  const reachesFromInputs: boolean[] = nodes.map((node) => {
    let reached = false;
    for (const name in node.inputs) if (dependsOnInputs.has(node.inputs[name].id)) reached = true;
    if (reached) for (const output of node.outputs) dependsOnInputs.add(output.id);
    return reached;
  });

  const leadsToOutputs = new Set(outputs.map((t) => t.id));
  const path: PathNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!reachesFromInputs[i] || !node.outputs.some((o) => leadsToOutputs.has(o.id))) continue;
    const inputNames = Object.keys(node.inputs).filter((name) =>
      dependsOnInputs.has(node.inputs[name].id),
    );
    if (needSaved) assertNodeAlive(node);
    for (const name of inputNames) leadsToOutputs.add(node.inputs[name].id);
    path.push({ node, inputNames });
  }
  path.reverse();
  return { path, graphs };
}

/** The recorded nodes the `outputs` depend on, in the order they ran. */
function ancestorsInRunOrder(outputs: tf.Tensor[]): TapeNode[] {
  const found = new Set<TapeNode>();
  const pending = [...outputs];
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    const node = producerOf(tensor);
    if (node === undefined || found.has(node)) continue;
    found.add(node);
    for (const name in node.inputs) pending.push(node.inputs[name]);
  }
  return [...found].sort((a, b) => a.id - b.id);
}

/**
 * The input gradients of one node for its output gradients `dys` (null where an output got none),
 * for the inputs named; each is `[...leading, ...input.shape]` (see {@link backpropagate}).
 */
export type NodeGradients = (
  node: TapeNode,
  dys: (tf.Tensor | null)[],
  inputNames: string[],
) => Record<string, tf.Tensor>;

/**
 * The backward walk shared by one backward pass and a batched one: from `seeds` at `outputs`, each
 * node on a path to `inputs`, latest first, turns its accumulated output gradients into input
 * gradients with `gradientsOf`; every gradient has shape `[...leading, ...tensor.shape]`. Returns,
 * per input, its gradient or null for an input the outputs do not depend on. Unless `retainGraph`,
 * frees the nodes it went through (as PyTorch does): other parts of the same recorded graph stay
 * differentiable.
 */
export function backpropagate(
  outputs: tf.Tensor[],
  seeds: tf.Tensor[],
  inputs: tf.Tensor[],
  retainGraph: boolean,
  gradientsOf: NodeGradients,
  leading: number[] = [],
): (tf.Tensor | null)[] {
  const inputIds = new Set(inputs.map((t) => t.id));
  const { path, graphs } = nodesOnPaths(outputs, inputIds);

  let reached: boolean[] = [];
  const found = tf.tidy(() => {
    const accumulated = new Map<number, tf.Tensor>();
    // The seeds stay the caller's: held as they are (a copy would be one more kernel per output),
    // never disposed here.
    const borrowed = new Set<tf.Tensor>(seeds);
    const release = (gradient: tf.Tensor | undefined) => {
      if (gradient !== undefined && !borrowed.has(gradient)) gradient.dispose();
    };
    const accumulate = (id: number, gradient: tf.Tensor) => {
      const previous = accumulated.get(id);
      accumulated.set(id, previous === undefined ? gradient : tf.add(previous, gradient));
      release(previous);
    };
    outputs.forEach((output, i) => accumulate(output.id, seeds[i]));

    for (let i = path.length - 1; i >= 0; i--) {
      const { node, inputNames } = path[i];
      if (node.gradient === undefined) {
        throw new TfjsJdError(
          `Cannot differentiate through kernel ${node.kernelName}: tfjs registers no gradient ` +
            'for it.',
        );
      }
      const dys = node.outputs.map((o) => accumulated.get(o.id) ?? null);
      const gradients = gradientsOf(node, dys, inputNames);
      for (const name of inputNames) {
        let dx = gradients[name];
        // A gradient function may hand back a dy itself; that dy is disposed below.
        if (dys.includes(dx)) dx = dx.clone();
        const input = node.inputs[name];
        const expected = [...leading, ...input.shape];
        if (!tf.util.arraysEqual(dx.shape, expected)) {
          throw new TfjsJdError(
            `The gradient computed for input '${name}' of kernel ${node.kernelName} has shape ` +
              `[${dx.shape}], not [${expected}].`,
          );
        }
        accumulate(input.id, dx);
      }
      // Every consumer of this node's outputs ran later and was processed already: the output
      // gradients are complete and no longer needed (unless they are what was asked for).
      for (const output of node.outputs) {
        if (!inputIds.has(output.id)) {
          release(accumulated.get(output.id));
          accumulated.delete(output.id);
        }
      }
    }
    reached = inputs.map((input) => accumulated.has(input.id));
    return inputs
      .filter((_, i) => reached[i])
      .map((input) => {
        const gradient = accumulated.get(input.id)!;
        return borrowed.has(gradient) ? gradient.clone() : gradient;
      });
  });

  if (!retainGraph) releasePath(path, graphs);
  let next = 0;
  return reached.map((wasReached) => (wasReached ? found[next++] : null));
}

/** The input gradients tfjs registers for `node`, for one backward pass. */
export function tapeGradients(
  node: TapeNode,
  dys: (tf.Tensor | null)[],
  inputNames: string[],
): Record<string, tf.Tensor> {
  const thunks = node.gradient!(dys);
  const gradients: Record<string, tf.Tensor> = {};
  for (const name of inputNames) {
    const thunk = thunks[name];
    if (typeof thunk !== 'function') {
      throw new TfjsJdError(
        `Cannot differentiate through input '${name}' of kernel ${node.kernelName}: its ` +
          `gradient function only gives ${Object.keys(thunks).join(', ')}.`,
      );
    }
    gradients[name] = tf.tidy(thunk);
  }
  return gradients;
}

/**
 * The gradients with respect to the inputs `inputNames` of the recorded operation `node` for the
 * gradient `dy` of its first output (one step of a backward pass, one call of its gradient
 * function for all of them): for closed forms that know the output gradient of the one operation
 * reading a weight.
 */
export function inputGradients(
  node: TapeNode,
  inputNames: string[],
  dy: tf.Tensor,
): Record<string, tf.Tensor> {
  const dys = node.outputs.map((_, i) => (i === 0 ? dy : null));
  return tapeGradients(node, dys, inputNames);
}

/**
 * Frees the nodes a backward pass went through (see {@link backpropagate}), and each graph whose
 * nodes are then all freed.
 */
export function releasePath(path: { node: TapeNode }[], graphs: Graph[]): void {
  freeNodes(path.map(({ node }) => node));
  for (const graph of graphs) graph.freeIfExhausted();
}

/**
 * The gradients of `Σᵢ ⟨seedsᵢ, outputsᵢ⟩` with respect to each input, or null for an input the
 * outputs do not depend on. Unless `retainGraph`, frees the nodes it went through (as PyTorch does):
 * other parts of the same recorded graph stay differentiable.
 */
export function differentiate(
  outputs: tf.Tensor[],
  seeds: tf.Tensor[],
  inputs: tf.Tensor[],
  retainGraph: boolean,
): (tf.Tensor | null)[] {
  return backpropagate(outputs, seeds, inputs, retainGraph, tapeGradients);
}

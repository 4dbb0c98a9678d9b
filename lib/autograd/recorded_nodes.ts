/**
 * Read access to recorded tape nodes, for the autogram engine, which derives Gramians from each
 * layer's inputs and output gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { TfjsJdError } from '../errors';
import { nodesOnPaths } from './backprop';
import { assertNodeAlive } from './graph';
import { leafVariables } from './differentiation';

/** A recorded kernel call. */
export interface RecordedNode {
  id: number;
  kernelName: string;
  /** Input name → tensor (a `tf.Variable` for weights). */
  inputs: tf.NamedTensorMap;
  outputs: tf.Tensor[];
  /** The kernel's attributes (`transposeA`, `strides`, …). */
  attrs: Record<string, unknown>;
  /** Given the gradients of the outputs, a thunk per input computing its gradient. */
  gradient(dys: (tf.Tensor | null)[]): { [inputName: string]: () => tf.Tensor };
}

/**
 * The recorded nodes on a path from any of `inputs` (default: every trainable variable the outputs
 * depend on) to any of `outputs`, in the order they ran. For autogram. Throws `GraphFreedError` if
 * a node on the path was freed; so does a node's `gradient` called after the graph was freed.
 * Reading nodes frees nothing: free the graph with `disposeGraph` or a non-retaining backward.
 */
export function recordedNodes(outputs: tf.Tensor[], inputs?: tf.Tensor[]): RecordedNode[] {
  const from = inputs ?? leafVariables(outputs);
  const { path } = nodesOnPaths(outputs, new Set(from.map((t) => t.id)));
  return path.map(({ node }) => ({
    id: node.id,
    kernelName: node.kernelName,
    inputs: node.inputs,
    outputs: node.outputs,
    attrs: node.attrs ?? {},
    gradient: (dys) => {
      assertNodeAlive(node);
      if (node.gradient === undefined) {
        throw new TfjsJdError(`Kernel ${node.kernelName} has no gradient registered in tfjs.`);
      }
      return node.gradient(dys);
    },
  }));
}

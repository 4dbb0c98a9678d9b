/**
 * Read access to recorded tape nodes, for the autogram engine, which derives Gramians from each
 * layer's inputs and output gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { nodesOnPaths } from './backprop';
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
 * depend on) to any of `outputs`, in the order they ran. Throws `GraphFreedError` if the graph was
 * freed.
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
      if (node.gradient === undefined) {
        throw new Error(`Kernel ${node.kernelName} has no gradient.`);
      }
      return node.gradient(dys);
    },
  }));
}

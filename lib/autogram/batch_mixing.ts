/**
 * Detection of recorded operations that mix the instances of a batch, which would make the
 * one-backward-pass derivation of per-instance output gradients wrong.
 */
import type * as tf from '@tensorflow/tfjs';

/** What the detection reads of a recorded kernel call. */
export interface ReducingNode {
  kernelName: string;
  inputs: tf.NamedTensorMap;
  attrs: Record<string, unknown>;
}

/** Kernels that reduce along an `axis` attribute. */
const REDUCTIONS = new Set(['Sum', 'Mean', 'Max', 'Min', 'Prod', 'All', 'Any', 'ArgMax', 'ArgMin']);

function reducedAxes(node: ReducingNode, rank: number): number[] {
  const raw = node.attrs.axis;
  const list = Array.isArray(raw) ? (raw as number[]) : typeof raw === 'number' ? [raw] : [];
  return list.map((axis) => (axis < 0 ? axis + rank : axis));
}

/**
 * The first recorded node that reduces over the batch axis of a tensor holding the whole batch
 * (e.g. the mean and variance of a `BatchNormalization` layer called in training mode), or
 * `undefined` when every recorded operation keeps the instances apart.
 *
 * Only reductions are looked for: a `matMul` contracting over the batch axis, or a gather across
 * instances, would also mix them and is not detected.
 *
 * @example
 * ```ts
 * const mixing = findBatchMixingNode(nodes, 16);
 * if (mixing !== undefined) console.warn(`${mixing.kernelName} mixes instances`);
 * ```
 */
export function findBatchMixingNode<T extends ReducingNode>(
  nodes: T[],
  batchSize: number,
): T | undefined {
  if (batchSize < 2) return undefined;
  return nodes.find((node) => {
    if (!REDUCTIONS.has(node.kernelName)) return false;
    const input = Object.values(node.inputs)[0];
    if (input === undefined || input.rank === 0 || input.shape[0] !== batchSize) return false;
    return reducedAxes(node, input.rank).includes(0);
  });
}

/**
 * Detection of recorded operations that mix the instances of a batch, which would make the
 * one-backward-pass derivation of per-instance output gradients wrong.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Layer } from './sites';

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

/** tfjs-layers classes whose call with `training: true` reduces over the batch. */
const BATCH_MIXING_LAYERS = new Set(['BatchNormalization']);

/**
 * The names of the layers (nested models searched) that mix the instances of a batch when called
 * in training mode, found from the layers alone, before anything is recorded: what an `Engine` can
 * tell when it is built (tfjs-layers picks the mode per call, so they are not refused there).
 *
 * @example
 * ```ts
 * batchMixingLayersOf([model]); // ['batch_normalization_BatchNormalization1']
 * ```
 */
export function batchMixingLayersOf(layers: Layer[]): string[] {
  const found: string[] = [];
  const visit = (layer: Layer) => {
    const nested = (layer as { layers?: unknown }).layers;
    if (Array.isArray(nested)) nested.forEach(visit);
    else if (BATCH_MIXING_LAYERS.has(layer.getClassName())) found.push(layer.name);
  };
  layers.forEach(visit);
  return found;
}

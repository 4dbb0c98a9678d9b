/**
 * Batched reverse-mode differentiation: k backward passes through a recorded graph in one walk,
 * their cotangents stacked along a new leading axis (what TorchJD gets from `torch.vmap`). Each
 * node's input gradients come from its kernel's batching rule (`batching_rules.ts`), or, for a
 * kernel without one, from its own gradient function applied to each of the k rows in turn: the
 * result is always the stack of the k single passes.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { backpropagate, differentiate, tapeGradients } from './backprop';
import { batchingRuleFor } from './batching_rules';
import type { TapeNode } from './tfjs_internals';

/** Counts, per kernel name, how many nodes a batched pass sent through the row-by-row fallback. */
export const fallbackCounts = new Map<string, number>();

/** The input gradients of `node` for batched `dys`, through its rule or row by row. */
function nodeGradients(
  node: TapeNode,
  dys: (tf.Tensor | null)[],
  names: string[],
  k: number,
): Record<string, tf.Tensor> {
  const rule = batchingRuleFor(node.kernelName);
  const viaRule = rule === undefined ? undefined : tf.tidy(() => rule(node, dys, names, k));
  if (viaRule !== undefined && names.every((name) => viaRule[name] !== undefined)) return viaRule;
  if (viaRule !== undefined) tf.dispose(Object.values(viaRule));
  fallbackCounts.set(node.kernelName, (fallbackCounts.get(node.kernelName) ?? 0) + 1);
  return tf.tidy(() => {
    const rows = dys.map((dy) => (dy === null ? null : tf.unstack(dy)));
    const perName: tf.Tensor[][] = names.map(() => []);
    for (let r = 0; r < k; r++) {
      const gradients = tapeGradients(
        node,
        rows.map((row) => (row === null ? null : row[r])),
        names,
      );
      names.forEach((name, i) => perName[i].push(gradients[name]));
    }
    return Object.fromEntries(names.map((name, i) => [name, tf.stack(perName[i])]));
  });
}

/**
 * For each input, the stacked gradients `[k, ...input.shape]` of the k objectives
 * `Σ_o ⟨seeds[o][r], outputs[o]⟩` (r < k), or null for an input the outputs do not depend on.
 * `seeds[o]` has shape `[k, ...outputs[o].shape]`. Unless `retainGraph`, frees the nodes walked.
 */
export function differentiateBatched(
  outputs: tf.Tensor[],
  seeds: tf.Tensor[],
  inputs: tf.Tensor[],
  retainGraph: boolean,
): (tf.Tensor | null)[] {
  const k = seeds[0].shape[0];
  return backpropagate(
    outputs,
    seeds,
    inputs,
    retainGraph,
    (node, dys, names) => nodeGradients(node, dys, names, k),
    [k],
  );
}

/**
 * Checks TorchJD's `parallel_chunk_size`: `undefined` (all rows at once) or a positive integer.
 */
export function checkChunkSize(value: unknown, argument = 'parallelChunkSize'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(
      argument,
      `should be undefined or a positive integer (got ${String(value)}).`,
    );
  }
  return value;
}

/**
 * {@link differentiateBatched} over `rows` rows, `chunkFor(start, count)` giving the outputs and
 * seeds (`[count, ...output.shape]` each) of rows `start…start+count-1`; `chunkSize` rows per walk (`undefined`: all at once; `1`: one plain backward pass per row, no batching rule
 * involved). The graph is retained between chunks; after the last, the nodes walked are freed
 * unless `retainGraph`. The seeds `chunkFor` returns are disposed here.
 * Returns, per input, `[rows, ...input.shape]` or null when no row reaches it.
 */
export function differentiateInChunks(
  rows: number,
  chunkFor: (start: number, count: number) => { outputs: tf.Tensor[]; seeds: tf.Tensor[] },
  inputs: tf.Tensor[],
  retainGraph: boolean,
  chunkSize?: number,
): (tf.Tensor | null)[] {
  const size = Math.min(chunkSize ?? rows, rows);
  const parts: (tf.Tensor | null)[][] = [];
  const counts: number[] = [];
  try {
    for (let start = 0; start < rows; start += size) {
      const count = Math.min(size, rows - start);
      const last = start + count >= rows;
      const retain = retainGraph || !last;
      const { outputs, seeds } = chunkFor(start, count);
      counts.push(count);
      try {
        if (size === 1) {
          const single = seeds.map((s) => tf.reshape(s, s.shape.slice(1)));
          const grads = differentiate(outputs, single, inputs, retain);
          parts.push(grads.map((g) => (g === null ? null : expandAndDispose(g))));
          tf.dispose(single);
        } else {
          parts.push(differentiateBatched(outputs, seeds, inputs, retain));
        }
      } finally {
        tf.dispose(seeds);
      }
    }
    if (parts.length === 1) return parts[0];
    return inputs.map((input, i) => {
      const pieces = parts.map((part) => part[i]);
      if (pieces.every((p) => p === null)) return null;
      // A chunk whose outputs do not reach this input contributes zero rows.
      return tf.tidy(() =>
        tf.concat(pieces.map((p, c) => p ?? tf.zeros([counts[c], ...input.shape], input.dtype))),
      );
    });
  } finally {
    if (parts.length > 1) for (const part of parts) tf.dispose(part.filter(isTensor));
  }
}

function isTensor(t: tf.Tensor | null): t is tf.Tensor {
  return t !== null;
}

function expandAndDispose(t: tf.Tensor): tf.Tensor {
  const expanded = tf.expandDims(t, 0);
  t.dispose();
  return expanded;
}

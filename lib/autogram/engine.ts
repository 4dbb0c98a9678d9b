/**
 * The autogram engine: the Gramian JJᵀ of a batch of per-instance losses with respect to a model's
 * weights, computed from each layer's inputs and output gradients instead of from the Jacobian.
 */
import { checkLiveTensor } from '../argument_checks';
import * as tf from '@tensorflow/tfjs';
import {
  differentiate,
  differentiateInChunks,
  isRecorded,
  nodesOnPaths,
  setGradientShortcut,
} from '../autograd';
import { InvalidArgumentError, NotRecordedError } from '../errors';
import { batchMixingLayersOf, findBatchMixingNode } from './batch_mixing';
import { rowGradientGramian } from './gramian_rules';
import { asRecordedNode, convolutionAttrs, planSites, type Layer, type PlannedSite } from './sites';
import { weightedBackwardShortcut } from './weighted_backward';
import { reshaped } from '../tensor_shapes';
import { isLayer, isLayersModel, isTensor, isVariable } from '../tfjs_guards';

export type { Layer } from './sites';

/** Options of {@link Engine}. */
export interface EngineOptions {
  /**
   * The axis of the losses that indexes instances: `0` (default), the instances must be independent
   * along the first axis of every recorded tensor (TorchJD's `batch_dim=0`); or `null`, no batch
   * axis is assumed (TorchJD's `batch_dim=None`): the Gramian comes from one backward pass per
   * element of the losses, exact for any model (instances coupled by BatchNormalization in
   * training mode, attention across the batch…), as costly as the Jacobian.
   */
  batchDim?: number | null;
}

/** The gradients of `Σ ⟨seed, losses⟩` with respect to recorded tensors (disposed ones too). */
function gradientsAt(losses: tf.Tensor, seed: tf.Tensor, targets: tf.Tensor[]): tf.Tensor[] {
  const found = differentiate([losses], [seed], targets, true);
  return found.map((g, i) => g ?? tf.zeros(targets[i].shape));
}

function isTrainableVariable(t: tf.Tensor): t is tf.Variable {
  return isVariable(t) && t.trainable;
}

/**
 * Computes the Gramian of the Jacobian of per-instance losses with respect to the trainable weights
 * of some layers, without materializing the Jacobian (Instance-Wise Risk Minimization, TorchJD's
 * `autogram.Engine`; Jacobian descent: Quinton & Rey, "Jacobian Descent for Multi-Objective
 * Optimization", 2024).
 *
 * The gradients of every loss with respect to every layer output come from ONE backward pass seeded
 * with ones, which is exact because instance i's loss depends on instance i only. Then, per weight:
 * - `Dense` kernels (`BatchMatMul` or the fused linear matmul): `(AAᵀ) ∘ (ΔΔᵀ)`;
 * - biases added on the last axis (`Dense`, `Conv2D`): `ΔΔᵀ` after summing over positions;
 * - `Embedding` tables (`GatherV2`): index-equality mask times `ΔΔᵀ`, summed per instance pair;
 * - `Conv2D` kernels (`Conv2D`, or the fused kernel of a linear `Conv2D`, whose strides, padding and
 *   dilations are read from the layer's config): per-instance kernel gradients, one batch-of-one
 *   pass each (together the cost of one batched pass), then `RRᵀ`;
 * - weights tiled once per instance (`LayerNormalization`'s gamma and beta): the gradient of each
 *   instance's copy, `RRᵀ`;
 * - every other weight (`BatchNormalization` in inference mode, weights used twice, custom
 *   layers…): the exact fallback, one backward pass per loss restricted to those weights. Always
 *   exact, slower.
 *
 * A recorded reduction over the batch axis (e.g. `BatchNormalization` called with
 * `training: true`; such layers are listed in `batchMixingLayers` when the engine is built) mixes
 * instances; `computeGramian` then throws an `InvalidArgumentError` rather than return a wrong
 * Gramian. Instances coupled otherwise (a matmul or gather across the batch) are not detected:
 * build the engine with `batchDim: null` for such models, which assumes nothing and is exact (one
 * backward pass per loss element, TorchJD's `batch_dim=None`). A scalar output gives the 1 × 1
 * Gramian `‖∇ℓ‖²` in either mode.
 *
 * A losses tensor with more than one axis is treated as the flat vector of its elements (row-major),
 * as TorchJD ≥ 0.12: a [b, t] matrix gives a [b·t, b·t] Gramian (one backward pass per column).
 *
 * @example
 * ```ts
 * const engine = new Engine(model, { batchDim: 0 });
 * const losses = record(() => tf.sum(tf.squaredDifference(model.apply(x) as tf.Tensor, y), 1));
 * const G = engine.computeGramian(losses);                 // [b, b]
 * const w = new UPGradWeighting().apply(G);
 * autograd.backward(losses, { gradient: w });             // .grad of every weight
 * optimizer.applyGradients(gradsMap()); zeroGrad();
 * ```
 */
export class Engine {
  /** The layers whose trainable weights the Gramian is taken with respect to. */
  readonly layers: Layer[];
  /** The axis of the losses that indexes instances: 0, or `null` for none (exact mode). */
  readonly batchDim: 0 | null;
  /**
   * The names of the layers found when the engine was built that mix the instances of a batch
   * when called with `training: true` (`BatchNormalization`). With `batchDim: 0`, a Gramian of
   * losses recorded through them in training mode is refused (`computeGramian` throws); in
   * inference mode they are exact. Empty with `batchDim: null`, where nothing needs refusing.
   */
  readonly batchMixingLayers: string[];

  constructor(
    modelOrLayers: tf.LayersModel | Layer | Iterable<Layer>,
    options: EngineOptions = {},
  ) {
    this.layers = layerList(modelOrLayers);
    const batchDim = options.batchDim === undefined ? 0 : options.batchDim;
    if (batchDim !== 0 && batchDim !== null) {
      throw new InvalidArgumentError(
        'batchDim',
        `expected 0 (instances along the first axis) or null (no batch axis: exact, one backward ` +
          `pass per loss element), got ${String(batchDim)}.`,
      );
    }
    this.batchDim = batchDim;
    this.batchMixingLayers = batchDim === null ? [] : batchMixingLayersOf(this.layers);
    const weightsKnown = this.layers.every((layer) => layer.built || isModel(layer));
    if (weightsKnown && this.weights().length === 0) {
      throw new InvalidArgumentError('modelOrLayers', 'the layers have no trainable weights.');
    }
  }

  /** The trainable variables of the engine's layers, each once. */
  weights(): tf.Variable[] {
    const seen = new Map<number, tf.Variable>();
    for (const layer of this.layers) {
      for (const weight of layer.trainableWeights) {
        const variable = weight.read();
        if (isTrainableVariable(variable)) seen.set(variable.id, variable);
      }
    }
    return [...seen.values()];
  }

  /**
   * The [m, m] Gramian of the Jacobian of the m elements of `losses` (recorded by `record`, instances
   * along axis 0) with respect to the layers' trainable weights. The recorded graph is kept, for
   * the weighted `autograd.backward(losses, { gradient: weights })` that follows. The caller owns
   * the result.
   *
   * That backward pass then costs one gradient step per weight instead of a walk through the model:
   * the per-instance gradients at each layer output, which the Gramian was built from, are kept
   * with the graph, and the gradient of `Σ_b w_b L_b` there is `diag(w)` times them. This applies
   * to `backward` and `grad` from `losses` itself when every variable they fill takes a closed form
   * here (none is `'fallback'` in {@link rulesFor}); otherwise they walk the graph as usual. The
   * kept gradients are freed with the graph (or by that backward pass, when it does not retain it).
   */
  computeGramian(losses: tf.Tensor): tf.Tensor2D {
    const { sites, fallbackWeights } = this.plan(losses);
    if (sites.length === 0 && (this.batchDim === null || losses.rank === 0)) {
      // No batch axis (or a scalar: one row): every row by its own backward pass, exact.
      return tf.tidy(() =>
        fallbackWeights.length === 0
          ? (tf.zeros([losses.size, losses.size]) as tf.Tensor2D)
          : rowGradientGramian(perRowGradients(losses, fallbackWeights)),
      );
    }
    const batchSize = losses.shape[0];
    const rowCount = losses.size;
    const tasks = rowCount / batchSize;
    const outputs = [...new Map(sites.map((s) => [s.output, s.rowShape])).entries()];
    const rows = outputGradientRows(losses, outputs, tasks);
    let gramian: tf.Tensor2D;
    try {
      gramian = tf.tidy(() => {
        const repeat = (perInstance: tf.Tensor) => repeatRows(perInstance, tasks);
        const parts = sites.flatMap((site) =>
          site.contribution === null ? [] : [site.contribution(rows.get(site.output)!, repeat)],
        );
        if (fallbackWeights.length > 0) {
          parts.push(rowGradientGramian(perRowGradients(losses, fallbackWeights)));
        }
        if (parts.length === 0) return tf.zeros([rowCount, rowCount]) as tf.Tensor2D;
        return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor2D;
      });
    } catch (error) {
      tf.dispose([...rows.values()]);
      throw error;
    }
    // The rows also give the weighted backward pass that follows (see weightedBackwardShortcut).
    if (rows.size > 0) setGradientShortcut(losses, weightedBackwardShortcut(losses, sites, rows));
    return gramian;
  }

  /**
   * Which rule `computeGramian(losses)` would use for each trainable weight the losses depend on
   * (weight name → `'dense' | 'bias' | 'embedding' | 'conv2d' | 'broadcast' | 'fallback'`): to check that a model
   * takes the fast paths (with `batchDim: null` or a scalar, every weight is `'fallback'`: one
   * backward pass per loss element). Computes nothing.
   *
   * @example
   * ```ts
   * engine.rulesFor(losses); // { 'dense_Dense1/kernel': 'dense', 'dense_Dense1/bias': 'bias' }
   * ```
   */
  rulesFor(losses: tf.Tensor): Record<string, string> {
    const { sites, fallbackWeights } = this.plan(losses);
    const rules: Record<string, string> = {};
    for (const site of sites) rules[site.weight.name] = site.rule;
    for (const weight of fallbackWeights) rules[weight.name] = 'fallback';
    return rules;
  }

  /** Validates `losses` and assigns each weight it depends on a rule. */
  private plan(losses: tf.Tensor): {
    sites: PlannedSite[];
    fallbackWeights: tf.Variable[];
  } {
    checkLiveTensor(losses, 'losses');
    if (!isRecorded(losses)) {
      throw new NotRecordedError(
        '`losses` was not computed inside record(): compute it inside `record(() => …)` so that ' +
          'the engine can differentiate it.',
      );
    }
    const weights = this.weights();
    if (weights.length === 0) {
      throw new InvalidArgumentError('modelOrLayers', 'the layers have no trainable weights.');
    }
    const nodes = nodesOnPaths([losses], new Set(weights.map((w) => w.id))).path.map(({ node }) =>
      asRecordedNode(node),
    );
    if (this.batchDim === null || losses.rank === 0) {
      // Exact mode: every weight the losses reach, by per-row backward passes.
      const reached = new Set(nodes.flatMap((node) => Object.values(node.inputs).map((t) => t.id)));
      return { sites: [], fallbackWeights: weights.filter((w) => reached.has(w.id)) };
    }
    const batchSize = losses.shape[0];
    const mixing = findBatchMixingNode(nodes, batchSize);
    if (mixing !== undefined) {
      const layers =
        this.batchMixingLayers.length === 0
          ? ''
          : ` (layers that mix instances in training mode: ${this.batchMixingLayers.join(', ')})`;
      throw new InvalidArgumentError(
        'losses',
        `the recorded operation ${mixing.kernelName} reduces over the batch axis${layers}, so ` +
          'instances are not independent and the Gramian cannot be derived from one backward ' +
          'pass. Call BatchNormalization layers with training: false (or replace them, e.g. by ' +
          'LayerNormalization), keep per-instance losses apart, or build the engine with ' +
          '`batchDim: null` (exact, one backward pass per loss).',
      );
    }
    return planSites(nodes, weights, batchSize, convolutionAttrs(this.layers), losses);
  }
}

/** True for a model (a layer made of layers), recognized by its members. */
function isModel(layer: Layer): boolean {
  return isLayersModel(layer) || Array.isArray((layer as { layers?: unknown }).layers);
}

/** A model, one layer, or any iterable of layers (`model.layers`, a `Set`…), as a list. */
function layerList(value: unknown): Layer[] {
  if (isLayer(value)) return [value as Layer];
  const iterable =
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
  const layers = iterable ? [...(value as Iterable<unknown>)] : [];
  if (layers.length === 0) {
    throw new InvalidArgumentError(
      'modelOrLayers',
      'expected a tf.LayersModel, a layer, or a non-empty iterable of tf layers.',
    );
  }
  layers.forEach((layer, i) => {
    if (!isLayer(layer)) {
      throw new InvalidArgumentError('modelOrLayers', `element ${i} is not a tf layer.`);
    }
  });
  return layers as Layer[];
}

/** Repeats each instance `times` times, consecutively, to line up with (instance, task) rows. */
function repeatRows(perInstance: tf.Tensor, times: number): tf.Tensor {
  if (times === 1) return perInstance;
  const [b, ...rest] = perInstance.shape;
  const tiled = tf.tile(tf.expandDims(perInstance, 1), [1, times, ...rest.map(() => 1)]);
  return tf.reshape(tiled, [b * times, ...rest]);
}

/**
 * The gradient of every loss element with respect to each of `outputs`, one row per loss element
 * (row-major order of `losses`): one backward pass per non-batch element, seeded with ones on that
 * element of every instance.
 */
function outputGradientRows(
  losses: tf.Tensor,
  outputs: [tf.Tensor, number[]][],
  tasks: number,
): Map<tf.Tensor, tf.Tensor> {
  if (outputs.length === 0) return new Map();
  const targets = outputs.map(([output]) => output);
  const batchSize = losses.shape[0];
  const rows = tf.tidy(() => {
    const perTask: tf.Tensor[][] = [];
    for (let task = 0; task < tasks; task++) {
      const seed = seedOn(losses.shape, (flat) => flat % tasks === task);
      perTask.push(gradientsAt(losses, seed, targets));
      seed.dispose();
    }
    return outputs.map(([, rowShape], j) => {
      const perInstance = perTask.map((grads) => reshaped(grads[j], [batchSize, ...rowShape]));
      const stacked = tasks === 1 ? perInstance[0] : tf.stack(perInstance, 1);
      return reshaped(stacked, [batchSize * tasks, ...rowShape]);
    });
  });
  return new Map(targets.map((output, j) => [output, rows[j]]));
}

/** A tensor of `shape` holding 1 at the row-major positions `selected` picks and 0 elsewhere. */
function seedOn(shape: number[], selected: (flatIndex: number) => boolean): tf.Tensor {
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) if (selected(i)) values[i] = 1;
  return tf.tensor(values, shape);
}

/**
 * Rows of the exact fallback differentiated together: enough to batch the kernels, few enough that
 * the stacked cotangents of a large batch stay a small multiple of one forward pass.
 */
const FALLBACK_CHUNK = 32;

/**
 * The exact fallback: the gradient of each loss element with respect to `weights`, one row each,
 * `FALLBACK_CHUNK` rows per batched backward pass.
 */
function perRowGradients(losses: tf.Tensor, weights: tf.Variable[]): tf.Tensor2D {
  const rowCount = losses.size;
  const grads = differentiateInChunks(
    rowCount,
    (start, count) => ({
      outputs: [losses],
      seeds: [
        tf.tidy(() =>
          tf.reshape(
            tf.slice(
              tf.oneHot(tf.range(start, start + count, 1, 'int32'), rowCount + 1, 1, 0, 'float32'),
              [0, 0],
              [count, rowCount],
            ),
            [count, ...losses.shape],
          ),
        ),
      ],
    }),
    weights,
    true,
    FALLBACK_CHUNK,
  );
  return tf.concat(
    grads.map((g, i) => tf.reshape(g ?? tf.zeros([rowCount, ...weights[i].shape]), [rowCount, -1])),
    1,
  ) as tf.Tensor2D;
}

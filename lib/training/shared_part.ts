/**
 * The shared part of a multi-output LayersModel, found from its graph of layers: the layers whose
 * trainable weights reach more than one output are shared, and the features are the tensors where
 * the outputs' paths leave the shared part. `forward` runs the model once and returns both the
 * features and the outputs, so that the Jacobian descent step needs one forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import type { LayerRef } from './options';
import { trainableVariables } from './variables';

type Layer = tf.layers.Layer;

/** The shared part of a model and a forward pass that exposes it. */
export interface SharedPart {
  /** The layers whose trainable weights are shared. */
  sharedLayers: Layer[];
  /** Their trainable variables, each once. */
  sharedWeights: tf.Variable[];
  /** The symbolic tensors where the outputs' paths split (the features given to `mtlGrads`). */
  features: tf.SymbolicTensor[];
  /**
   * The weights of each output's own layers, given to `mtlGrads` when the features are the
   * outputs themselves (see `findSharedPart`); undefined otherwise (mtlGrads' default is right).
   */
  tasksWeights?: tf.Variable[][];
  /** Runs the model on `xs` (training mode) and returns the features and the outputs. */
  forward(xs: tf.Tensor[]): { features: tf.Tensor[]; outputs: tf.Tensor[] };
}

/** Every symbolic tensor the outputs depend on, with the outputs it reaches. */
interface GraphIndex {
  tensors: Map<number, tf.SymbolicTensor>;
  reach: Map<number, Set<number>>;
  consumers: Map<number, tf.SymbolicTensor[]>;
}

function indexGraph(model: tf.LayersModel): GraphIndex {
  const tensors = new Map<number, tf.SymbolicTensor>();
  const reach = new Map<number, Set<number>>();
  const consumers = new Map<number, tf.SymbolicTensor[]>();
  model.outputs.forEach((output, k) => {
    const pending = [output];
    const visited = new Set<number>();
    while (pending.length > 0) {
      const tensor = pending.pop()!;
      if (visited.has(tensor.id)) continue;
      visited.add(tensor.id);
      const isNew = !tensors.has(tensor.id);
      tensors.set(tensor.id, tensor);
      if (!reach.has(tensor.id)) reach.set(tensor.id, new Set());
      reach.get(tensor.id)!.add(k);
      for (const input of tensor.inputs ?? []) {
        if (isNew) {
          const list = consumers.get(input.id) ?? [];
          list.push(tensor);
          consumers.set(input.id, list);
        }
        pending.push(input);
      }
    }
  });
  return { tensors, reach, consumers };
}

/**
 * True when the features cannot split the model into a trunk and heads: one feature is computed
 * from another, or a layer with weights of its own (not shared) lies before a feature (a
 * task-specific tower feeding a shared layer).
 */
function cannotSplitAt(features: tf.SymbolicTensor[], shared: Set<Layer>): boolean {
  const ids = new Set(features.map((f) => f.id));
  for (const feature of features) {
    const pending = [...(feature.inputs ?? [])];
    const seen = new Set<number>();
    while (pending.length > 0) {
      const tensor = pending.pop()!;
      if (ids.has(tensor.id)) return true;
      if (seen.has(tensor.id)) continue;
      seen.add(tensor.id);
      const layer = tensor.sourceLayer;
      if (!shared.has(layer) && trainableVariables(layer).length > 0) return true;
      pending.push(...(tensor.inputs ?? []));
    }
  }
  return false;
}

/** The model's layers named or given in `refs`, each checked to belong to `model`. */
function resolveLayers(model: tf.LayersModel, refs: LayerRef[]): Layer[] {
  if (!Array.isArray(refs) || refs.length === 0) {
    throw new InvalidArgumentError(
      'args.sharedLayers',
      'expected a non-empty array of layers or names.',
    );
  }
  return refs.map((ref, i) => {
    const name = typeof ref === 'string' ? ref : ref?.name;
    const layer = model.layers.find((l) => (typeof ref === 'string' ? l.name === name : l === ref));
    if (layer === undefined) {
      throw new InvalidArgumentError(
        'args.sharedLayers',
        `element ${i} (${String(name)}) is not a layer of the model; its layers are ` +
          `${model.layers.map((l) => l.name).join(', ')}.`,
      );
    }
    return layer;
  });
}

/**
 * Finds the shared part of `model` (or takes `sharedLayers`), and builds the forward pass that
 * returns the features with the outputs.
 *
 * @example
 * ```ts
 * const part = findSharedPart(model);
 * part.sharedLayers.map((l) => l.name); // ['trunk_1', 'trunk_2']
 * ```
 */
export function findSharedPart(model: tf.LayersModel, sharedLayers?: LayerRef[]): SharedPart {
  const graph = indexGraph(model);
  const layerReach = new Map<Layer, Set<number>>();
  for (const tensor of graph.tensors.values()) {
    const set = layerReach.get(tensor.sourceLayer) ?? new Set<number>();
    graph.reach.get(tensor.id)!.forEach((k) => set.add(k));
    layerReach.set(tensor.sourceLayer, set);
  }
  let shared: Set<Layer>;
  if (sharedLayers !== undefined) {
    shared = new Set(resolveLayers(model, sharedLayers));
  } else {
    shared = new Set([...layerReach].filter(([, set]) => set.size > 1).map(([layer]) => layer));
  }
  const withWeights = [...shared].filter((layer) => trainableVariables(layer).length > 0);
  // Found from the graph, only layers with weights are shared (the input layer reaches every
  // output too); weightless layers join the shared part by the rule below.
  if (sharedLayers === undefined) shared = new Set(withWeights);
  if (withWeights.length === 0) {
    throw new InvalidArgumentError(
      sharedLayers !== undefined ? 'args.sharedLayers' : 'model',
      sharedLayers !== undefined
        ? 'none of these layers has trainable weights.'
        : 'no layer with trainable weights reaches more than one output, so there is no shared ' +
            'part to apply Jacobian descent to: give args.sharedLayers, or use model.fit.',
    );
  }

  // A tensor is in the shared part if a shared layer produced it, or if a weightless layer did
  // from shared inputs and it still reaches several outputs (a flatten or concat after the trunk).
  const inShared = new Map<number, boolean>();
  const isShared = (tensor: tf.SymbolicTensor): boolean => {
    const known = inShared.get(tensor.id);
    if (known !== undefined) return known;
    inShared.set(tensor.id, false); // guards cycles; the graph of a model has none
    const layer = tensor.sourceLayer;
    const result =
      shared.has(layer) ||
      (sharedLayers === undefined &&
        trainableVariables(layer).length === 0 &&
        graph.reach.get(tensor.id)!.size > 1 &&
        (tensor.inputs ?? []).some(isShared));
    inShared.set(tensor.id, result);
    return result;
  };
  const outputIds = new Set(model.outputs.map((o) => o.id));
  let features = [...graph.tensors.values()].filter(
    (tensor) =>
      isShared(tensor) &&
      (outputIds.has(tensor.id) ||
        (graph.consumers.get(tensor.id) ?? []).some((consumer) => !isShared(consumer))),
  );
  const sharedWeights = [
    ...new Map(withWeights.flatMap(trainableVariables).map((v) => [v.id, v])).values(),
  ];

  // When the outputs leave the shared part at different depths (out3 after the first shared
  // layer, out1 and out2 after the second), one feature depends on another, and a loss's gradient
  // at the upstream feature would count the path through the downstream one twice; when a task's
  // own layer feeds a shared one, its weights lie before the features, out of every head. The
  // outputs themselves are then the features, and each output's own layers are its task
  // weights: the same Jacobian, at the cost of a second pass through the heads.
  let tasksWeights: tf.Variable[][] | undefined;
  if (cannotSplitAt(features, shared)) {
    features = [...model.outputs];
    tasksWeights = model.outputs.map((_, k) =>
      [...layerReach]
        .filter(([layer, set]) => set.has(k) && !shared.has(layer))
        .flatMap(([layer]) => trainableVariables(layer)),
    );
  }

  // One functional model over the same layers returns features and outputs in one pass.
  const extra = features.filter((f) => !outputIds.has(f.id));
  const forwardModel = tf.model({ inputs: model.inputs, outputs: [...model.outputs, ...extra] });
  const position = new Map(
    [...model.outputs, ...extra].map((tensor, index) => [tensor.id, index] as const),
  );
  const featureIndex = features.map((f) => position.get(f.id)!);
  const outputCount = model.outputs.length;
  return {
    sharedLayers: withWeights,
    sharedWeights,
    features,
    tasksWeights,
    forward(xs) {
      const all = forwardModel.apply(xs, { training: true });
      const list = Array.isArray(all) ? all : [all];
      const tensors = list.map((t) => t as tf.Tensor);
      return {
        outputs: tensors.slice(0, outputCount),
        features: featureIndex.map((i) => tensors[i]),
      };
    },
  };
}

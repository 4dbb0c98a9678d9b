/**
 * Which closed-form Gramian rule applies to each weight of a recorded forward pass: the recorded
 * kernels that read a weight, matched against the shapes tfjs layers record (see
 * `Engine` for the list), with the layer inputs a rule needs recovered from saved tensors.
 */
import * as tf from '@tensorflow/tfjs';
import type { TapeNode } from '../autograd';
import {
  biasGramian,
  conv2dKernelRowGradients,
  denseKernelGramian,
  embeddingGramian,
  rowGradientGramian,
} from './gramian_rules';
import { isLayersModel } from '../tfjs_guards';
import { denseBiasPairs, type WeightSite } from './weight_sites';

/** A tfjs layer (the element type of `tf.LayersModel.layers`). */
export type Layer = tf.LayersModel['layers'][number];

/**
 * How one weight's Gramian block is obtained from the rows' gradients with respect to `output`.
 * `rows` is the output gradient with one row per objective; `repeat` repeats a per-instance input
 * so that it lines up with those rows.
 */
export interface Site {
  /** Which closed form applies, for {@link Engine.rulesFor}. */
  rule: 'dense' | 'bias' | 'embedding' | 'conv2d' | 'broadcast';
  output: tf.Tensor;
  /** Shape of one instance's slice of `output` (the output without its batch axis). */
  rowShape: number[];
  /** The block, or null for a bias that the dense kernel it is added to counts (`foldBiases`). */
  contribution: Contribution | null;
  /** For a dense kernel: its block and that of a bias added to its output, together. */
  withBias?: Contribution;
}

/**
 * A weight's Gramian block from `rows`, the output gradient with one row per objective; `repeat`
 * repeats a per-instance input so that it lines up with those rows.
 */
type Contribution = (rows: tf.Tensor, repeat: Repeat) => tf.Tensor2D;
type Repeat = (perInstance: tf.Tensor) => tf.Tensor;

/** A site with the weight it serves and the one recorded operation that reads that weight. */
export interface PlannedSite extends Site, WeightSite {}

/**
 * A recorded kernel call with its inputs made usable: the tensors the forward pass produced are
 * disposed by `record`'s tidy, so inputs a rule reads come from the node's saved clones.
 */
export interface RecordedNode {
  kernelName: string;
  inputs: tf.NamedTensorMap;
  outputs: tf.Tensor[];
  attrs: Record<string, unknown>;
  /** The input `name` as a live tensor (the saved clone when the original was disposed). */
  live(name: string): tf.Tensor | undefined;
  /** The tape node itself. */
  tape: TapeNode;
}

/** Where each kernel's gradient function keeps the inputs a rule reads, in its saved tensors. */
const SAVED_POSITION: Record<string, Record<string, number>> = {
  BatchMatMul: { a: 0, b: 1 },
  Conv2D: { x: 0, filter: 1 },
  GatherV2: { x: 0, indices: 1 },
  fusedMatMul__op: { '0': 0, '1': 1 },
  fusedConv2d__op: { '0': 1, '1': 0 },
};

/** Name of the custom kernel that `tf.fused.conv2d` records (layers' linear `Conv2D`). */
const FUSED_CONV2D = 'fusedConv2d__op';

/**
 * The attributes of the convolutions the `Conv2D` layers run, by kernel variable id: the fused
 * custom kernel a linear `Conv2D` records carries none, so they are read from the layer's config
 * (layers always convolve in NHWC, transposing channels-first inputs beforehand).
 */
export function convolutionAttrs(layers: Layer[]): Map<number, Record<string, unknown>> {
  const found = new Map<number, Record<string, unknown>>();
  const visit = (layer: Layer) => {
    if (isLayersModel(layer)) {
      layer.layers.forEach(visit);
      return;
    }
    if (layer.getClassName() !== 'Conv2D' || layer.trainableWeights.length === 0) return;
    const config = layer.getConfig();
    found.set(layer.trainableWeights[0].read().id, {
      strides: config.strides,
      pad: config.padding === 'same' ? 'same' : 'valid',
      dilations: config.dilationRate,
      dataFormat: 'NHWC',
    });
  };
  layers.forEach(visit);
  return found;
}

export function asRecordedNode(node: TapeNode): RecordedNode {
  return {
    kernelName: node.kernelName,
    inputs: node.inputs,
    outputs: node.outputs,
    attrs: node.attrs ?? {},
    tape: node,
    live(name) {
      const input = node.inputs[name];
      if (input !== undefined && !input.isDisposed) return input;
      const position = SAVED_POSITION[node.kernelName]?.[name];
      const saved = position === undefined ? undefined : node.saved?.[position];
      return saved !== undefined && !saved.isDisposed ? saved : undefined;
    },
  };
}

/** Name of the custom kernel that `tf.fused.matMul` records (layers' linear `Dense`). */
const FUSED_MATMUL = 'fusedMatMul__op';

/**
 * Assigns each weight a closed-form rule when it feeds exactly one recorded node of a known shape
 * (directly or through one reshape, which preserves inner products); every other weight goes to the
 * exact fallback.
 */
export function planSites(
  nodes: RecordedNode[],
  weights: tf.Variable[],
  batchSize: number,
  convAttrs: Map<number, Record<string, unknown>>,
  losses: tf.Tensor,
): { sites: PlannedSite[]; fallbackWeights: tf.Variable[] } {
  const weightOf = new Map<number, tf.Variable>(weights.map((w) => [w.id, w]));
  const aliasOf = new Map<number, tf.Variable>();
  for (const node of nodes) {
    const input = Object.values(node.inputs)[0];
    if (node.kernelName === 'Reshape' && input !== undefined && weightOf.has(input.id)) {
      aliasOf.set(node.outputs[0].id, weightOf.get(input.id)!);
    }
  }
  const uses = new Map<tf.Variable, { node: RecordedNode; name: string; aliased: boolean }[]>();
  for (const node of nodes) {
    for (const [name, input] of Object.entries(node.inputs)) {
      const direct = weightOf.get(input.id);
      const viaAlias = aliasOf.get(input.id);
      const weight = direct ?? viaAlias;
      if (weight === undefined) continue;
      if (
        direct !== undefined &&
        node.kernelName === 'Reshape' &&
        aliasOf.has(node.outputs[0].id)
      ) {
        continue;
      }
      const list = uses.get(weight) ?? [];
      list.push({ node, name, aliased: direct === undefined });
      uses.set(weight, list);
    }
  }
  const sites: PlannedSite[] = [];
  const fallbackWeights: tf.Variable[] = [];
  for (const weight of weights) {
    const list = uses.get(weight) ?? [];
    const site =
      list.length === 1
        ? siteFor(list[0].node, list[0].name, batchSize, convAttrs.get(weight.id))
        : undefined;
    if (site !== undefined) {
      sites.push({ ...site, weight, node: list[0].node.tape, inputName: list[0].name });
    } else if (list.length > 0) fallbackWeights.push(weight);
  }
  return { sites: foldBiases(sites, nodes, losses), fallbackWeights };
}

/**
 * A dense layer's kernel and bias have the same rows (see `denseBiasPairs`): one block
 * `(AAᵀ + 11ᵀ) ∘ (ΔΔᵀ)` counts both, from the rows at the bias's output, where the weighted
 * backward pass also gets both weights' gradients from one output gradient.
 */
function foldBiases(sites: PlannedSite[], nodes: RecordedNode[], losses: tf.Tensor): PlannedSite[] {
  const folded = new Map<PlannedSite, PlannedSite>();
  const pairs = denseBiasPairs(
    sites,
    nodes,
    [losses],
    (site) => site.withBias !== undefined,
    (site) => site.rule === 'bias',
  );
  for (const [kernel, bias] of pairs) {
    folded.set(kernel, { ...kernel, output: bias.output, contribution: kernel.withBias! });
    folded.set(bias, { ...bias, contribution: null });
  }
  return sites.map((site) => folded.get(site) ?? site);
}

/** The closed-form rule for the weight fed to input `name` of `node`, if one applies. */
function siteFor(
  node: RecordedNode,
  name: string,
  batchSize: number,
  layerConvAttrs: Record<string, unknown> | undefined,
): Site | undefined {
  if (node.kernelName === 'GatherV2') return embeddingSite(node, name, batchSize);
  const output = node.outputs[0];
  if (output === undefined || output.shape[0] !== batchSize) return undefined;
  const rowShape = output.shape.slice(1);
  const { inputs, attrs } = node;
  switch (node.kernelName) {
    case 'BatchMatMul': {
      const a = node.live('a');
      if (
        a === undefined ||
        name !== 'b' ||
        a.rank !== 2 ||
        attrs.transposeA === true ||
        output.rank !== 2
      ) {
        return undefined;
      }
      const dense = (withBias: boolean) => (rows: tf.Tensor, repeat: Repeat) =>
        denseKernelGramian(repeat(a) as tf.Tensor2D, rows as tf.Tensor2D, withBias);
      return { rule: 'dense', output, rowShape, contribution: dense(false), withBias: dense(true) };
    }
    case FUSED_MATMUL: {
      // Recorded by a linear Dense: tfjs only fuses a non-linear activation when no gradient is
      // being recorded, so the output gradient is the pre-activation gradient.
      const a = node.live('0');
      if (a === undefined || a.rank !== 3 || a.shape[0] !== 1 || output.rank !== 2)
        return undefined;
      if (name === '1') {
        const dense = (withBias: boolean) => (rows: tf.Tensor, repeat: Repeat) =>
          denseKernelGramian(
            repeat(tf.reshape(a, a.shape.slice(1))) as tf.Tensor2D,
            rows as tf.Tensor2D,
            withBias,
          );
        return {
          rule: 'dense',
          output,
          rowShape,
          contribution: dense(false),
          withBias: dense(true),
        };
      }
      if (name === '2' && inputs['2'].rank === 1) {
        return { rule: 'bias', output, rowShape, contribution: (rows) => biasGramian(rows) };
      }
      return undefined;
    }
    case 'Add':
    case 'BiasAdd': {
      const bias = inputs[name];
      const other = Object.entries(inputs).find(([n]) => n !== name)?.[1];
      if (
        bias.rank !== 1 ||
        other === undefined ||
        !tf.util.arraysEqual(other.shape, output.shape) ||
        output.rank < 2 ||
        output.shape[output.rank - 1] !== bias.size
      ) {
        return undefined;
      }
      return { rule: 'bias', output, rowShape, contribution: (rows) => biasGramian(rows) };
    }
    case 'Conv2D': {
      const x = node.live('x');
      const filter = node.live('filter');
      if (x === undefined || filter === undefined || name !== 'filter' || x.rank !== 4) {
        return undefined;
      }
      return conv2dSite(output, rowShape, x, filter, attrs);
    }
    case 'Tile': {
      // A weight copied once per instance (LayerNormalization's gamma and beta): row i of the copy
      // is used by instance i only, so its gradient there is instance i's gradient of the weight.
      const reps = attrs.reps as number[] | undefined;
      const x = inputs.x;
      if (
        name !== 'x' ||
        reps === undefined ||
        x.shape[0] !== 1 ||
        reps[0] !== batchSize ||
        reps.slice(1).some((r) => r !== 1)
      ) {
        return undefined;
      }
      return {
        rule: 'broadcast',
        output,
        rowShape,
        contribution: (rows) => rowGradientGramian(rows),
      };
    }
    case FUSED_CONV2D: {
      // A linear Conv2D, for the same reason as FUSED_MATMUL: the output gradient is the
      // pre-activation gradient. Its bias (input '2') is added on the channel axis.
      if (name === '2' && inputs['2'].rank === 1 && output.rank === 4) {
        return { rule: 'bias', output, rowShape, contribution: (rows) => biasGramian(rows) };
      }
      const x = node.live('0');
      const filter = node.live('1');
      if (name !== '1' || x === undefined || filter === undefined || x.rank !== 4) return undefined;
      if (layerConvAttrs === undefined) return undefined;
      return conv2dSite(output, rowShape, x, filter, layerConvAttrs);
    }
    default:
      return undefined;
  }
}

/**
 * The Embedding lookup flattens its [b, …] indices before gathering, so the gathered rows of one
 * instance are consecutive; the batch axis is not the output's first axis there.
 */
/** A Conv2D kernel site: per-instance kernel gradients from batch-of-one slices, then `RRᵀ`. */
function conv2dSite(
  output: tf.Tensor,
  rowShape: number[],
  x: tf.Tensor,
  filter: tf.Tensor,
  attrs: Record<string, unknown>,
): Site {
  return {
    rule: 'conv2d',
    output,
    rowShape,
    contribution: (rows, repeat) =>
      rowGradientGramian(
        conv2dKernelRowGradients(
          repeat(x) as tf.Tensor4D,
          rows as tf.Tensor4D,
          filter as tf.Tensor4D,
          attrs,
        ),
      ),
  };
}

function embeddingSite(node: RecordedNode, name: string, batchSize: number): Site | undefined {
  const output = node.outputs[0];
  const indices = node.live('indices');
  if (
    indices === undefined ||
    name !== 'x' ||
    node.inputs.x.rank !== 2 ||
    (node.attrs.axis ?? 0) !== 0 ||
    (node.attrs.batchDims ?? 0) !== 0 ||
    indices.rank !== 1 ||
    indices.size % batchSize !== 0
  ) {
    return undefined;
  }
  const length = indices.size / batchSize;
  const vocabulary = node.inputs.x.shape[0];
  const k = output.shape[1] ?? 1;
  return {
    rule: 'embedding',
    output,
    rowShape: [length, k],
    contribution: (rows, repeat) =>
      embeddingGramian(
        repeat(tf.reshape(indices, [batchSize, length])) as tf.Tensor2D,
        rows as tf.Tensor3D,
        vocabulary,
      ),
  };
}

/**
 * The Gramian `J Jᵀ` of the shared Jacobian of a multi-task backward pass, built layer by layer from
 * each task's gradient with respect to the trunk's layer outputs, so that the m × n Jacobian is
 * never formed (the idea of TorchJD's autogram, applied to task rows instead of instance rows).
 *
 * For a dense kernel `z = A·W`, task i's row is `Aᵀ Δᵢ` (Δᵢ: its gradient with respect to z), so
 * `⟨AᵀΔᵢ, AᵀΔⱼ⟩ = ⟨Δᵢ, (AAᵀ) Δⱼ⟩`: with a batch smaller than the layer's width this costs far less
 * than the rows themselves. A bias added on the last axis has row `Σ_b Δᵢ[b]`. A Conv2D kernel's
 * rows `AᵀΔᵢ` (A: the im2col matrix) come from one filter-gradient kernel for all tasks. Every other weight
 * gets its rows computed explicitly (exact, as costly as the Jacobian path).
 *
 * The update `Σᵢ wᵢ (row i)` then needs no further backward pass: for a closed-form weight it is the
 * recorded operation's own weight gradient for the output gradient `Σᵢ wᵢ Δᵢ` (one matmul for a
 * dense kernel), for the others the weighted sum of their explicit rows.
 */
import * as tf from '@tensorflow/tfjs';
import { nodesOnPaths, type TapeNode } from '../autograd';
import { trunkJacobian } from './mtl_jacobian';
import {
  biasGramian,
  biasRows,
  conv2dKernelTaskRows,
  rowGradientGramian,
} from '../autogram/gramian_rules';
import { asRecordedNode, type RecordedNode } from '../autogram/sites';
import { denseBiasPairs, siteWeightGradients, type WeightSite } from '../autogram/weight_sites';
import { blockRowCombinations, lastAxisSums, rowGramian, weightedRowSum } from '../tensor_products';

/** How one shared weight's block of the task Gramian is obtained from per-task output gradients. */
interface TaskSite {
  /** The recorded tensor whose per-task gradients the block is computed from. */
  output: tf.Tensor;
  /**
   * The block, from `outputGrads` ([m, ...output.shape], task i's gradient in row i); null when
   * the block is that of the site's `rows`, or is included in the block of the dense kernel a bias
   * is added to (see `foldBiases`).
   */
  gramian: ((outputGrads: tf.Tensor) => tf.Tensor2D) | null;
  /** For a dense kernel: its input `A`, [rows, d]. */
  dense?: { inputs: () => tf.Tensor2D };
  /** For a bias added on the last axis of a rank-2 output. */
  bias?: boolean;
  /**
   * For a weight whose block is the Gramian of its own rows (a convolution kernel, a bias not
   * folded into a dense kernel): the rows themselves, [m, weight size], kept so that the update is
   * their weighted sum instead of one more weight gradient.
   */
  rows?: (outputGrads: tf.Tensor) => tf.Tensor2D;
}

/** A site, with the weight it serves and the recorded operation that reads that weight. */
interface PlannedSite extends TaskSite, WeightSite {}

/** Which weights take a closed form (`sites`) and which need explicit per-task rows. */
export interface TaskGramianPlan {
  shared: tf.Variable[];
  sites: PlannedSite[];
  explicit: tf.Variable[];
}

/** Name of the custom kernel that `tf.fused.matMul` records (layers' `Dense`). */
const FUSED_MATMUL = 'fusedMatMul__op';

/**
 * Plans the Gramian of the Jacobian of `features` with respect to `shared`: a closed form for each
 * weight read by exactly one dense matmul or bias addition on the way to the features, explicit
 * rows for the others. Reads the recorded graph; computes nothing.
 */
export function planTaskGramian(features: tf.Tensor[], shared: tf.Variable[]): TaskGramianPlan {
  const weightOf = new Map<number, tf.Variable>(shared.map((w) => [w.id, w]));
  const tapeNodes = nodesOnPaths(features, new Set(weightOf.keys())).path.map(({ node }) => node);
  // Layers reshape a kernel before the fused matmul; a reshape preserves inner products.
  const aliasOf = new Map<number, tf.Variable>();
  for (const node of tapeNodes) {
    const input = node.inputs.x;
    if (node.kernelName === 'Reshape' && input !== undefined && weightOf.has(input.id)) {
      aliasOf.set(node.outputs[0].id, weightOf.get(input.id)!);
    }
  }
  const uses = new Map<tf.Variable, { tape: TapeNode; name: string }[]>();
  for (const tape of tapeNodes) {
    if (tape.kernelName === 'Reshape' && aliasOf.has(tape.outputs[0].id)) continue;
    for (const name in tape.inputs) {
      const input = tape.inputs[name];
      const weight = weightOf.get(input.id) ?? aliasOf.get(input.id);
      if (weight === undefined) continue;
      const list = uses.get(weight);
      if (list === undefined) uses.set(weight, [{ tape, name }]);
      else list.push({ tape, name });
    }
  }
  const sites: PlannedSite[] = [];
  const explicit: tf.Variable[] = [];
  for (const weight of shared) {
    const list = uses.get(weight);
    if (list === undefined) continue;
    const [{ tape, name }] = list;
    const site = list.length === 1 ? siteFor(asRecordedNode(tape), name) : undefined;
    if (site !== undefined)
      sites.push(Object.assign(site, { weight, node: tape, inputName: name }));
    else explicit.push(weight);
  }
  return {
    shared,
    sites: foldBiases(sites, tapeNodes, features),
    explicit,
  };
}

/**
 * A dense layer's kernel and bias see the same Δ (see `denseBiasPairs`): the kernel site moves to
 * the bias's output and takes the bias's block in, `⟨Δᵢ, (AAᵀ + 11ᵀ) Δⱼ⟩`; the bias keeps only its
 * gradient, from the same `Σᵢ wᵢ Δᵢ`.
 */
function foldBiases(sites: PlannedSite[], nodes: TapeNode[], features: tf.Tensor[]): PlannedSite[] {
  const folded = new Map<PlannedSite, PlannedSite>();
  const pairs = denseBiasPairs(
    sites,
    nodes,
    features,
    (site) => site.dense !== undefined,
    (site) => site.bias === true,
  );
  for (const [kernel, bias] of pairs) {
    const inputs = kernel.dense!.inputs;
    folded.set(kernel, {
      ...kernel,
      output: bias.output,
      gramian: (grads) => tf.tidy(() => denseGramian(inputs(), grads, true)),
    });
    folded.set(bias, { ...bias, gramian: null, rows: undefined });
  }
  return sites.map((site) => folded.get(site) ?? site);
}

/** The closed form for the weight fed to input `name` of `node`, if one applies. */
function siteFor(node: RecordedNode, name: string): TaskSite | undefined {
  const output = node.outputs[0];
  if (node.kernelName === 'Conv2D') return conv2dSite(node, name);
  if (output === undefined || output.rank !== 2) {
    return node.kernelName === 'Add' || node.kernelName === 'BiasAdd'
      ? biasSite(node, name, true)
      : undefined;
  }
  switch (node.kernelName) {
    case 'BatchMatMul': {
      const a = node.live('a');
      if (name !== 'b' || a === undefined || a.rank !== 2) return undefined;
      const transposed = node.attrs.transposeA === true;
      const inputs = () => (transposed ? tf.transpose(a) : a) as tf.Tensor2D;
      return {
        output,
        dense: { inputs },
        gramian: (grads) => tf.tidy(() => denseGramian(inputs(), grads, false)),
      };
    }
    case FUSED_MATMUL: {
      // Recorded by a linear Dense (tfjs fuses no activation while recording gradients), which
      // never transposes its input: `a` is [1, rows, inputs].
      if (name === '2') return biasSite(node, name, false);
      const a = node.live('0');
      if (name !== '1' || a === undefined || a.rank !== 3 || a.shape[0] !== 1) return undefined;
      if (a.shape[1] !== output.shape[0]) return undefined;
      const inputs = () => tf.reshape(a, [a.shape[1]!, a.shape[2]!]) as tf.Tensor2D;
      return {
        output,
        dense: { inputs },
        gramian: (grads) => tf.tidy(() => denseGramian(inputs(), grads, false)),
      };
    }
    case 'Add':
    case 'BiasAdd':
      return biasSite(node, name, true);
    default:
      return undefined;
  }
}

/**
 * A Conv2D kernel: task i's row is `AᵀΔᵢ` with A the im2col matrix of the batch, and all m rows come
 * from one filter-gradient kernel (`conv2dKernelTaskRows`), no per-task pass through the graph.
 * Dilated convolutions (which tfjs cannot differentiate anyway) get no site.
 */
function conv2dSite(node: RecordedNode, name: string): TaskSite | undefined {
  const x = node.live('x');
  const filter = node.inputs.filter;
  const dilations = node.attrs.dilations ?? 1;
  if (name !== 'filter' || x === undefined || x.rank !== 4 || filter.rank !== 4) return undefined;
  if ((Array.isArray(dilations) ? dilations : [dilations]).some((d) => d !== 1)) return undefined;
  const output = node.outputs[0];
  const shape = filter.shape as [number, number, number, number];
  const rows = (grads: tf.Tensor) =>
    conv2dKernelTaskRows(x as tf.Tensor4D, grads, shape, node.attrs);
  return { output, rows, gramian: null };
}

/**
 * A rank-1 bias added along the last axis of the output, broadcast over every other axis; with
 * `addition`, the node's other operand must have the output's shape (a plain `Add`, not a product).
 */
function biasSite(node: RecordedNode, name: string, addition: boolean): TaskSite | undefined {
  const output = node.outputs[0];
  const bias = node.inputs[name];
  const others = Object.entries(node.inputs).filter(([n]) => n !== name);
  if (
    bias === undefined ||
    bias.rank !== 1 ||
    output === undefined ||
    output.rank < 1 ||
    output.shape[output.rank - 1] !== bias.size ||
    (addition && others.some(([, t]) => !tf.util.arraysEqual(t.shape, output.shape)))
  ) {
    return undefined;
  }
  const rows = (grads: tf.Tensor) =>
    tf.tidy(() => biasRows(tf.reshape(grads, [grads.shape[0], -1, bias.size])));
  return { output, bias: true, rows, gramian: null };
}

/**
 * The block of a dense kernel `z = A·W` from `deltas` ([m, rows, k]): `⟨Δᵢ, (AAᵀ)Δⱼ⟩` when the
 * batch is small, else the explicit rows `AᵀΔᵢ`, whichever costs fewer multiplications. `withBias`
 * adds the block of a bias added to `z` (a column of ones in A: `AAᵀ + 11ᵀ`).
 */
function denseGramian(inputs: tf.Tensor2D, deltas: tf.Tensor, withBias: boolean): tf.Tensor2D {
  const [m, rows, k] = deltas.shape;
  const d = inputs.shape[1];
  const viaKernel = rows * rows * (d + m * k) + rows * m * m * k;
  const viaRows = d * rows * m * k + m * m * d * k;
  if (viaKernel < viaRows) {
    // ⟨Δᵢ, KΔⱼ⟩ with K = AAᵀ: the products KΔⱼ combine the rows of each Δⱼ in place.
    const kernel = rowGramian(inputs);
    const timesDeltas = blockRowCombinations(
      withBias ? tf.add(kernel, 1) : kernel,
      deltas as tf.Tensor3D,
    );
    return rowGramian(deltas, timesDeltas, m);
  }
  // Task i's row is AᵀΔᵢ; its transpose ΔᵢᵀA holds the same entries, which is all a Gramian sees.
  const transposed = tf.reshape(tf.transpose(deltas, [0, 2, 1]), [m * k, rows]) as tf.Tensor2D;
  const block = rowGramian(tf.matMul(transposed, inputs), undefined, m);
  return withBias ? (tf.add(block, biasGramian(deltas)) as tf.Tensor2D) : block;
}

/** The shared Jacobian, held as per-task output gradients and explicit rows. */
export interface TaskJacobian {
  /** The number of tasks m. */
  readonly m: number;
  /** `J Jᵀ`, m × m row-major, exactly symmetric. */
  readonly gramianValues: Float32Array;
  /** The same as a tensor, [m, m], made at the first read (a weighting's `apply` needs one). */
  readonly gramian: tf.Tensor2D;
  /**
   * `Σᵢ wᵢ · (row i of J)`, split per weight of the plan's `shared` and shaped like each; the caller
   * owns the result.
   */
  combine(weights: number[]): tf.Tensor[];
  /** Frees the gradients held (and the Gramian). */
  dispose(): void;
}

/**
 * Computes, for each task i, the gradient of `Σ_f ⟨featureGradients[i][f], features[f]⟩` at every
 * planned site output and explicit weight (the tasks go `chunkSize` at a time through one batched
 * backward pass that stops at the sites and computes no closed-form weight's gradient), then the
 * Gramian. The recorded graph is kept.
 */
export function taskJacobian(
  features: tf.Tensor[],
  featureGradients: tf.Tensor[][],
  plan: TaskGramianPlan,
  chunkSize?: number,
): TaskJacobian {
  const m = featureGradients.length;
  const outputs = [...new Set(plan.sites.map((site) => site.output))];
  const targets = [...outputs, ...plan.explicit];
  const held = tf.tidy(() => {
    const perTarget = trunkJacobian(features, featureGradients, targets, chunkSize);
    const explicitRows =
      plan.explicit.length === 0
        ? []
        : tf.concat(
            perTarget.slice(outputs.length).map((t) => tf.reshape(t, [m, -1])),
            1,
          );
    return { deltas: perTarget.slice(0, outputs.length), rows: explicitRows };
  }) as { deltas: tf.Tensor[]; rows: tf.Tensor | [] };
  const deltas = held.deltas;
  const rows = Array.isArray(held.rows) ? null : held.rows;
  const deltaAt = new Map(outputs.map((output, k) => [output, deltas[k]]));
  // The rows of the sites that have them (convolution kernels), for `combine`.
  const siteRows = new Map<PlannedSite, tf.Tensor2D>();
  const sum = tf.tidy(() => {
    const blocks = plan.sites.flatMap((site) => {
      const delta = deltaAt.get(site.output)!;
      if (site.rows !== undefined) {
        const own = tf.keep(site.rows(delta));
        siteRows.set(site, own);
        return [rowGradientGramian(own)];
      }
      return site.gramian === null ? [] : [site.gramian(delta)];
    });
    if (rows !== null) blocks.push(rowGradientGramian(rows));
    if (blocks.length === 0) return tf.zeros([m, m]);
    return blocks.length === 1 ? blocks[0] : tf.addN(blocks);
  });
  const gramianValues = symmetrized(sum.dataSync(), m);
  sum.dispose();
  let gramian: tf.Tensor2D | undefined;
  return {
    m,
    gramianValues,
    get gramian() {
      gramian ??= tf.tensor2d(gramianValues, [m, m]);
      return gramian;
    },
    combine: (weights) =>
      tf.tidy(() => {
        // Σᵢ wᵢ Δᵢ as one product with the flattened rows: a broadcast product and a sum over the
        // task axis would cost a transposition of the whole tensor on wasm.
        const w = tf.tensor2d([weights]);
        const weightedSum = (perTask: tf.Tensor) => weightedRowSum(w, perTask);
        const gradients = new Map<tf.Variable, tf.Tensor>();
        const seeds = new Map<tf.Tensor, tf.Tensor>();
        const seedAt = (output: tf.Tensor) => {
          let seed = seeds.get(output);
          if (seed === undefined) {
            seed = weightedSum(deltaAt.get(output)!);
            seeds.set(output, seed);
          }
          return seed;
        };
        for (const [site, own] of siteRows) {
          gradients.set(site.weight, tf.reshape(weightedSum(own), site.weight.shape));
        }
        // A bias folded into its kernel's block: its gradient is the sum of its output's over
        // every axis but the last, without the gradient function's transposition on wasm.
        const viaGradient: PlannedSite[] = [];
        for (const site of plan.sites) {
          if (siteRows.has(site)) continue;
          if (site.bias === true) gradients.set(site.weight, lastAxisSums(seedAt(site.output)));
          else viaGradient.push(site);
        }
        for (const [weight, gradient] of siteWeightGradients(viaGradient, seedAt)) {
          gradients.set(weight, gradient);
        }
        if (rows !== null) {
          const combined = tf.split(
            weightedSum(rows),
            plan.explicit.map((v) => v.size),
          );
          plan.explicit.forEach((v, k) => gradients.set(v, tf.reshape(combined[k], v.shape)));
        }
        return plan.shared.map((v) => gradients.get(v) ?? tf.zerosLike(v));
      }),
    dispose: () =>
      tf.dispose([
        ...(gramian === undefined ? [] : [gramian]),
        ...deltas,
        ...siteRows.values(),
        ...(rows === null ? [] : [rows]),
      ]),
  };
}

/**
 * `(S + Sᵀ) / 2` of the m × m row-major `values`: each block is symmetric only up to rounding, and
 * the weightings expect an exactly symmetric Gramian. Computed here, on the values downloaded
 * anyway, rather than by three more kernels.
 */
function symmetrized(values: ArrayLike<number>, m: number): Float32Array {
  const out = new Float32Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) out[i * m + j] = (values[i * m + j] + values[j * m + i]) / 2;
  }
  return out;
}

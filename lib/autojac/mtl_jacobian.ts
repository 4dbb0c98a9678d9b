/**
 * The multi-task backward pass behind `mtlBackward` and `mtlGrads`: one pass per loss through its
 * head to the features, then one pass per loss from the features through the shared trunk.
 */
import * as tf from '@tensorflow/tfjs';
import { checkChunkSize, differentiateInChunks, grad, leafVariables } from '../autograd';
import { InvalidArgumentError } from '../errors';
import {
  checkGradSeeds,
  checkNoOverlap,
  checkRecorded,
  checkScalars,
  checkTaskGradients,
  checkUnique,
  tensorList,
  variableList,
  withoutRepeats,
} from './checks';
import type { Variables } from '../autograd/variable_list';

/** What the caller of an MTL backward pass gives. */
export interface MtlInputs {
  /** One scalar loss per task, computed inside `record` (any shape with `gradTensors`). */
  losses: tf.Tensor | tf.Tensor[];
  /**
   * The gradient of some objective with respect to each loss, of its shape (chain rule), needed
   * when losses are not scalars; default: 1 for each scalar loss.
   */
  gradTensors?: tf.Tensor[];
  /** The last shared representation(s), computed inside `record`. */
  features: tf.Tensor | tf.Tensor[];
  /** Parameters of each task's head; default: the variables each loss reaches not through the features. */
  tasksParams?: Iterable<Variables>;
  /** Parameters of the shared trunk; default: the variables the features depend on. */
  sharedParams?: Variables;
  /**
   * How many losses (rows of the shared Jacobian) are differentiated together, in one batched backward pass
   * (TorchJD's `parallel_chunk_size`): `undefined` (default) all of them, `1` one plain backward
   * pass per row (slowest, least memory), any positive integer in between.
   */
  parallelChunkSize?: number;
}

/** The result: task gradients (summed over tasks sharing a parameter) and shared Jacobians. */
export interface MtlJacobian {
  losses: tf.Tensor[];
  features: tf.Tensor[];
  taskParams: tf.Variable[];
  taskGradients: tf.Tensor[];
  sharedParams: tf.Variable[];
  /** For each shared parameter, `[m, ...shape]`: row i is the gradient of loss i. */
  sharedJacobians: tf.Tensor[];
}

/** Checks the inputs as TorchJD's `mtl_backward` does and resolves the default parameters. */
export function resolveMtlInputs(inputs: MtlInputs): {
  losses: tf.Tensor[];
  features: tf.Tensor[];
  shared: tf.Variable[];
  tasks: tf.Variable[][];
  seeds: tf.Tensor[] | undefined;
} {
  const losses = tensorList(inputs.losses, 'losses');
  const features = tensorList(inputs.features, 'features');
  checkUnique(losses, 'losses');
  checkUnique(features, 'features');
  let seeds: tf.Tensor[] | undefined;
  if (inputs.gradTensors === undefined) checkScalars(losses, 'losses');
  else seeds = checkGradSeeds(inputs.gradTensors, losses, 'gradTensors');
  checkRecorded(losses, 'losses');
  checkRecorded(features, 'features');
  checkChunkSize(inputs.parallelChunkSize);
  const shared =
    inputs.sharedParams === undefined
      ? leafVariables(features)
      : withoutRepeats(variableList(inputs.sharedParams, 'sharedParams'));
  let tasks: tf.Variable[][];
  if (inputs.tasksParams === undefined) {
    tasks = losses.map((loss) => leafVariables([loss], { excluded: features }));
  } else {
    const perTask = inputs.tasksParams as unknown;
    if (
      perTask === null ||
      typeof perTask !== 'object' ||
      typeof (perTask as Iterable<unknown>)[Symbol.iterator] !== 'function'
    ) {
      throw new InvalidArgumentError('tasksParams', 'expected one list of variables per loss.');
    }
    tasks = [...(perTask as Iterable<unknown>)].map((params, i) =>
      withoutRepeats(variableList(params, `tasksParams[${i}]`)),
    );
  }
  if (tasks.length !== losses.length) {
    throw new InvalidArgumentError(
      'tasksParams',
      `has ${tasks.length} entries but there are ${losses.length} losses; give one per loss.`,
    );
  }
  checkNoOverlap(shared, tasks, {
    shared: inputs.sharedParams !== undefined,
    tasks: inputs.tasksParams !== undefined,
    features,
    losses,
  });
  // A loss that does not reach the features gets a zero row in the shared Jacobian, as in TorchJD
  // (whose backward passes materialize unused gradients as zeros).
  return { losses, features, shared, tasks, seeds };
}

/** What the per-task passes through the heads give. */
export interface HeadPasses {
  /** Every task parameter once, and its gradient summed over the tasks that use it. */
  taskParams: tf.Variable[];
  taskGradients: tf.Tensor[];
  /** For each loss, its gradient with respect to each feature tensor. */
  featureGradients: tf.Tensor[][];
}

/**
 * One backward pass per loss through its head down to the features, retaining the graph. The
 * caller owns the returned tensors. Throws a `NumericalError` (leaking nothing) when a task
 * parameter's gradient is not finite.
 */
export function headPasses(
  losses: tf.Tensor[],
  features: tf.Tensor[],
  tasks: tf.Variable[][],
  seeds: tf.Tensor[] | undefined,
): HeadPasses {
  const taskParams = [...new Set(tasks.flat())];
  const passes = tf.tidy(() => {
    const taskSums = new Map<tf.Variable, tf.Tensor>();
    const featureGradients = losses.map((loss, i) => {
      const params = tasks[i];
      const toHead = grad(loss, [...params, ...features], {
        gradOutputs: seeds?.[i],
        retainGraph: true,
      });
      params.forEach((p, k) => {
        const previous = taskSums.get(p);
        taskSums.set(p, previous === undefined ? toHead[k] : tf.add(previous, toHead[k]));
      });
      return toHead.slice(params.length);
    });
    return { taskParams, taskGradients: taskParams.map((p) => taskSums.get(p)!), featureGradients };
  });
  try {
    checkTaskGradients(passes.taskParams, passes.taskGradients);
  } catch (error) {
    tf.dispose([passes.taskGradients, passes.featureGradients]);
    throw error;
  }
  return passes;
}

/** Runs the backward passes, retaining the graph (the caller frees it). */
export function mtlJacobian(inputs: MtlInputs): MtlJacobian {
  const { losses, features, shared, tasks, seeds } = resolveMtlInputs(inputs);
  const heads = headPasses(losses, features, tasks, seeds);
  let sharedJacobians: tf.Tensor[];
  try {
    sharedJacobians =
      shared.length === 0
        ? []
        : trunkJacobian(features, heads.featureGradients, shared, inputs.parallelChunkSize);
  } catch (error) {
    tf.dispose(heads.taskGradients);
    throw error;
  } finally {
    tf.dispose(heads.featureGradients);
  }
  return {
    losses,
    features,
    taskParams: heads.taskParams,
    taskGradients: heads.taskGradients,
    sharedParams: shared,
    sharedJacobians,
  };
}

/**
 * The losses' Jacobian with respect to `targets` (shared weights, or any recorded tensor below the
 * features), from each loss's gradients at the features (`featureGradients[i][f]`): the losses
 * go through the trunk `chunkSize` at a time, each chunk in one batched backward pass. One
 * `[m, ...target.shape]` tensor per target (zeros where the features do not reach it). The graph
 * is retained.
 */
export function trunkJacobian(
  features: tf.Tensor[],
  featureGradients: tf.Tensor[][],
  targets: tf.Tensor[],
  chunkSize: number | undefined,
): tf.Tensor[] {
  const m = featureGradients.length;
  const grads = differentiateInChunks(
    m,
    (start, count) => ({
      outputs: features,
      seeds: features.map((_, f) =>
        tf.stack(featureGradients.slice(start, start + count).map((g) => g[f])),
      ),
    }),
    targets,
    true,
    chunkSize,
  );
  return grads.map((g, k) => g ?? tf.zeros([m, ...targets[k].shape]));
}

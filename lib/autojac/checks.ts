/** Argument checks shared by the autojac entry points, with TorchJD's error cases. */
import * as tf from '@tensorflow/tfjs';
import { isRecorded } from '../autograd';
import { tensorListOf } from '../autograd/variable_list';
import { InvalidArgumentError, NotRecordedError } from '../errors';

/**
 * A tensor or an iterable of tensors (LayerVariables read), as a non-empty list of live tensors.
 */
export function tensorList(value: unknown, argument: string): tf.Tensor[] {
  const list = value === undefined ? [] : tensorListOf(value, argument);
  if (list.length === 0) throw new InvalidArgumentError(argument, 'cannot be empty.');
  return list;
}

/** Throws `NotRecordedError` unless every tensor comes from `record`. */
export function checkRecorded(tensors: tf.Tensor[], argument: string): void {
  tensors.forEach((t, i) => {
    if (!isRecorded(t)) {
      throw new NotRecordedError(
        `\`${argument}\` element ${i} was not computed inside record(): compute it inside ` +
          '`record(() => …)` and return it.',
      );
    }
  });
}

/** A parameter list (any iterable of variables or LayerVariables), checked. */
export { variableList } from '../autograd/variable_list';

/** Throws unless the losses are scalars. */
export function checkScalars(tensors: tf.Tensor[], argument: string): void {
  tensors.forEach((t, i) => {
    if (t.size !== 1) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} has shape [${t.shape}]; expected scalar losses (one per objective), or ` +
          'pass `gradTensors` for non-scalar ones.',
      );
    }
  });
}

/** Throws if a shared parameter is also a task parameter (TorchJD forbids the overlap). */
export function checkNoOverlap(shared: tf.Variable[], tasks: tf.Variable[][]): void {
  const sharedSet = new Set(shared);
  tasks.forEach((params, i) => {
    const common = params.filter((p) => sharedSet.has(p));
    if (common.length > 0) {
      throw new InvalidArgumentError(
        'tasksParams',
        `task ${i} has parameter(s) ${common.map((p) => `'${p.name}'`).join(', ')} that are also ` +
          'shared parameters; sharedParams and tasksParams must not overlap.',
      );
    }
  });
}

/** Throws if a tensor appears twice: TorchJD forbids repeated outputs, losses and features. */
export function checkUnique(tensors: tf.Tensor[], argument: string): void {
  if (new Set(tensors).size !== tensors.length) {
    throw new InvalidArgumentError(argument, 'should contain unique elements (one appears twice).');
  }
}

/** The list without repetitions, first occurrence kept (repeated inputs change nothing, as in torch). */
export function withoutRepeats<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/**
 * Checks the gradients given for the losses (`gradTensors`): one per loss, each of its loss's shape.
 */
export function checkGradSeeds(
  seeds: unknown,
  outputs: tf.Tensor[],
  argument: string,
): tf.Tensor[] {
  const list = tensorList(seeds as tf.Tensor | tf.Tensor[], argument);
  if (list.length !== outputs.length) {
    throw new InvalidArgumentError(
      argument,
      `should have one tensor per loss (got ${list.length} for ${outputs.length} losses).`,
    );
  }
  list.forEach((seed, i) => {
    if (!tf.util.arraysEqual(seed.shape, outputs[i].shape)) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} has shape [${seed.shape}] but its loss has shape [${outputs[i].shape}]; ` +
          'they must match.',
      );
    }
  });
  return list;
}

/**
 * Checks initial Jacobians (`jacTensors`, `jacOutputs`): one per output, each of shape
 * `[rows, ...output.shape]`, all with the same number of rows.
 */
export function checkJacSeeds(
  seeds: tf.Tensor | tf.Tensor[],
  outputs: tf.Tensor[],
  argument: string,
  outputArgument: string,
): tf.Tensor[] {
  const list = tensorList(seeds, argument);
  if (list.length !== outputs.length) {
    throw new InvalidArgumentError(
      argument,
      `should have the same length as \`${outputArgument}\` (got ${list.length} and ` +
        `${outputs.length}).`,
    );
  }
  list.forEach((seed, i) => {
    if (!tf.util.arraysEqual(seed.shape.slice(1), outputs[i].shape)) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} has shape [${seed.shape}]; expected [rows, ${outputs[i].shape}] (the shape ` +
          `of \`${outputArgument}\` element ${i} after a leading dimension of rows).`,
      );
    }
  });
  const rows = list[0].shape[0];
  if (rows === 0 || list.some((seed) => seed.shape[0] !== rows)) {
    throw new InvalidArgumentError(
      argument,
      'all tensors should have the same, non-zero number of rows (first dimension).',
    );
  }
  return list;
}

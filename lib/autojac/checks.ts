/** Argument checks shared by the autojac entry points, with TorchJD's error cases. */
import * as tf from '@tensorflow/tfjs';
import { isRecorded } from '../autograd';
import { InvalidArgumentError, NotRecordedError } from '../errors';

/** A tensor or a list of tensors, as a non-empty list of live tensors. */
export function tensorList(
  value: tf.Tensor | tf.Tensor[] | undefined,
  argument: string,
): tf.Tensor[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new InvalidArgumentError(argument, 'cannot be empty.');
  list.forEach((t, i) => {
    if (!(t instanceof tf.Tensor)) {
      throw new InvalidArgumentError(argument, `element ${i} is not a tf.Tensor.`);
    }
    if (t.isDisposed) throw new InvalidArgumentError(argument, `element ${i} is disposed.`);
  });
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

/** A list of variables, checked. */
export function variableList(value: unknown, argument: string): tf.Variable[] {
  if (!Array.isArray(value))
    throw new InvalidArgumentError(argument, 'expected an array of tf.Variable.');
  value.forEach((v, i) => {
    if (!(v instanceof tf.Variable)) {
      throw new InvalidArgumentError(argument, `element ${i} is not a tf.Variable.`);
    }
  });
  return value as tf.Variable[];
}

/** Throws unless the losses are scalars. */
export function checkScalars(tensors: tf.Tensor[], argument: string): void {
  tensors.forEach((t, i) => {
    if (t.size !== 1) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} has shape [${t.shape}]; expected scalar losses (one per objective).`,
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

import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { isTensor } from '../tfjs_guards';

/**
 * Reads a vector-valued option (`prefVector`, `weights`, `reference`…), given as a `tf.Tensor1D`
 * or a `number[]`, into float64 numbers; throws `InvalidArgumentError` naming `argument` for
 * anything else, an empty vector or a non-finite entry.
 */
export function readVectorOption(value: unknown, argument: string): number[] {
  let values: number[];
  if (isTensor(value)) {
    if (value.rank !== 1) {
      throw new InvalidArgumentError(
        argument,
        `expected a vector (rank 1), got shape [${value.shape}].`,
      );
    }
    values = Array.from(value.dataSync());
  } else if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
    values = [...value];
  } else {
    throw new InvalidArgumentError(argument, 'expected a tf.Tensor1D or an array of numbers.');
  }
  if (values.length === 0) throw new InvalidArgumentError(argument, 'expected a non-empty vector.');
  if (!values.every(Number.isFinite)) {
    throw new InvalidArgumentError(argument, 'expected finite values.');
  }
  return values;
}

/** TorchJD's short rendering of a vector in names: `[1., 0.5, 0.33]`. */
export function vectorToString(values: number[]): string {
  return `[${values.map((v) => v.toFixed(2).replace(/0+$/, '')).join(', ')}]`;
}

/**
 * The user's data, as `model.fit` accepts it (a tensor, an array of tensors, or a map by input or
 * output name), put in the model's input and output order and checked: one tensor per input and
 * output, all with the same number of rows.
 */
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';

/** What fit accepts for `x` or `y`. */
export type TensorData = tf.Tensor | tf.Tensor[] | { [name: string]: tf.Tensor };

function isTensor(value: unknown): value is tf.Tensor {
  const t = value as Partial<tf.Tensor> | null;
  return (
    t !== null &&
    typeof t === 'object' &&
    Array.isArray(t.shape) &&
    typeof t.dataSync === 'function'
  );
}

/** `data` as one tensor per name of `names`, in that order. */
export function standardizeData(
  data: unknown,
  names: string[],
  argument: string,
  what: 'input' | 'output',
): tf.Tensor[] {
  let list: unknown[];
  if (isTensor(data)) {
    list = [data];
  } else if (Array.isArray(data)) {
    list = data;
  } else if (data !== null && typeof data === 'object') {
    const map = data as { [name: string]: unknown };
    const unknown = Object.keys(map).filter((key) => !names.includes(key));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(
        argument,
        `has no ${what} named ${unknown.join(', ')}; the model's ${what}s are ${names.join(', ')}.`,
      );
    }
    list = names.map((name) => {
      if (!(name in map)) {
        throw new InvalidArgumentError(argument, `lacks the ${what} '${name}'.`);
      }
      return map[name];
    });
  } else {
    throw new InvalidArgumentError(
      argument,
      `expected a tf.Tensor, an array of them or a map by ${what} name.`,
    );
  }
  if (list.length !== names.length) {
    throw new InvalidArgumentError(
      argument,
      `expected ${names.length} tensor(s), one per model ${what} (${names.join(', ')}), got ${list.length}.`,
    );
  }
  list.forEach((t, i) => {
    if (!isTensor(t)) throw new InvalidArgumentError(argument, `element ${i} is not a tf.Tensor.`);
    if (t.isDisposed) throw new InvalidArgumentError(argument, `element ${i} is disposed.`);
    if (t.rank === 0)
      throw new InvalidArgumentError(
        argument,
        `element ${i} is a scalar; expected one row per example.`,
      );
  });
  return list as tf.Tensor[];
}

/** Checks that every tensor of `ys` has as many rows as `xs[0]`, and the inputs agree too. */
export function checkRows(
  xs: tf.Tensor[],
  ys: tf.Tensor[],
  xArgument: string,
  yArgument: string,
): number {
  const rows = xs[0].shape[0];
  xs.forEach((x, i) => {
    if (x.shape[0] !== rows) {
      throw new InvalidArgumentError(
        xArgument,
        `input ${i} has ${x.shape[0]} rows, input 0 has ${rows}.`,
      );
    }
  });
  ys.forEach((y, i) => {
    if (y.shape[0] !== rows) {
      throw new InvalidArgumentError(
        yArgument,
        `output ${i} has ${y.shape[0]} rows, but the inputs have ${rows}: one target per example.`,
      );
    }
  });
  return rows;
}

/** `[start, end)` of each batch of `size` over `count` examples, the last one shorter. */
export function makeBatches(count: number, size: number): Array<[number, number]> {
  const batches: Array<[number, number]> = [];
  for (let start = 0; start < count; start += size)
    batches.push([start, Math.min(count, start + size)]);
  return batches;
}

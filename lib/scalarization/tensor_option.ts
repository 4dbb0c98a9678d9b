import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { isTensor } from '../tfjs_guards';

/**
 * A tensor-valued option of a scalarizer (`weights`, `reference`, `minLosses`), copied to plain
 * numbers when given so that later changes or disposal of the caller's tensor cannot affect it,
 * and so that the scalarizer owns no tfjs memory.
 */
export interface TensorOption {
  readonly values: number[];
  readonly shape: number[];
}

/** What a tensor-valued option may be given as: a tensor of any rank or a (nested) number array. */
export type TensorLike = tf.Tensor | number[] | number[][];

/**
 * Reads a tensor-valued option into a {@link TensorOption}; throws an `InvalidArgumentError`
 * naming `argument` for anything but a non-empty tensor or array of finite numbers.
 */
export function readTensorOption(value: unknown, argument: string): TensorOption {
  let shape: number[];
  let values: number[];
  if (isTensor(value)) {
    shape = [...value.shape];
    values = Array.from(value.dataSync());
  } else if (Array.isArray(value)) {
    const isNumbers = (a: unknown[]) => a.every((v) => typeof v === 'number');
    const isRows = value.every((row) => Array.isArray(row) && isNumbers(row));
    if (isNumbers(value)) {
      shape = [value.length];
      values = [...(value as number[])];
    } else if (isRows && value.length > 0) {
      const width = (value[0] as number[]).length;
      if (!value.every((row) => (row as number[]).length === width)) {
        throw new InvalidArgumentError(argument, 'expected rows of equal length.');
      }
      shape = [value.length, width];
      values = (value as number[][]).flat();
    } else {
      throw new InvalidArgumentError(argument, 'expected a tf.Tensor or an array of numbers.');
    }
  } else {
    throw new InvalidArgumentError(argument, 'expected a tf.Tensor or an array of numbers.');
  }
  if (values.length === 0) {
    throw new InvalidArgumentError(argument, `expected a non-empty tensor, got shape [${shape}].`);
  }
  if (!values.every(Number.isFinite)) {
    throw new InvalidArgumentError(argument, 'expected finite values, found NaN or Infinity.');
  }
  return { values, shape };
}

/** A float32 tensor holding `option` (the caller disposes it, usually through `tf.tidy`). */
export function optionTensor(option: TensorOption): tf.Tensor {
  return tf.tensor(option.values, option.shape, 'float32');
}

/** True if two shapes are equal (same rank and sizes; a scalar differs from a 1-vector). */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/**
 * Throws an `InvalidArgumentError` naming `argument` unless the option has the shape of the
 * losses, as TorchJD requires for every per-loss option.
 */
export function checkOptionShape(option: TensorOption, argument: string, losses: tf.Tensor): void {
  if (!sameShape(option.shape, losses.shape)) {
    throw new InvalidArgumentError(
      argument,
      `should have the shape of \`losses\`; got ${formatShape(option.shape)} for ${argument} and ` +
        `${formatShape(losses.shape)} for losses.`,
    );
  }
}

/**
 * Reads the `shape` option of the trainable scalarizers: a number `n` means `[n]`. Throws an
 * `InvalidArgumentError` naming `shape` unless the sizes are positive integers.
 */
export function readShape(shape: unknown): number[] {
  const sizes = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(sizes) || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw new InvalidArgumentError(
      'shape',
      `expected a positive integer or an array of positive integers, got ${JSON.stringify(shape)}.`,
    );
  }
  return [...(sizes as number[])];
}

/** Throws an `InvalidArgumentError` naming `losses` unless it has the scalarizer's `shape`. */
export function checkLossesShape(losses: tf.Tensor, shape: readonly number[], of: string): void {
  if (!sameShape(losses.shape, shape)) {
    throw new InvalidArgumentError(
      'losses',
      `expected shape ${formatShape(shape)} (the shape of the ${of}), got ${formatShape(losses.shape)}.`,
    );
  }
}

/** A shape as TorchJD prints it (a Python tuple): `()`, `(3,)`, `(2, 3)`. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Throws an `InvalidArgumentError` naming `argument` unless `value` is a finite number ≥ 0 (> 0 if `strict`). */
export function checkNonNegative(value: unknown, argument: string, strict = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (strict && value === 0)
  ) {
    throw new InvalidArgumentError(
      argument,
      `should be ${strict ? 'strictly positive' : 'non-negative'} and finite, got ${value}.`,
    );
  }
  return value;
}

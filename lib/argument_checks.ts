/**
 * Argument checks shared by every public entry point: whether a value is a live tensor (recognized
 * by `lib/tfjs_guards.ts`, not `instanceof`), and the reading of options objects.
 */
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from './errors';
import { isTensor } from './tfjs_guards';

/**
 * Throws an `InvalidArgumentError` naming `argument` unless `value` is a tensor that is not
 * disposed. `expected` describes what was expected (`'a tf.Tensor2D'`), for the message.
 *
 * @example
 * ```ts
 * checkLiveTensor(matrix, 'matrix', 'a tf.Tensor2D'); // throws for a disposed matrix
 * ```
 */
export function checkLiveTensor(
  value: unknown,
  argument: string,
  expected = 'a tf.Tensor',
): asserts value is tf.Tensor {
  if (!isTensor(value)) {
    throw new InvalidArgumentError(argument, `expected ${expected}, got ${describeValue(value)}.`);
  }
  if (value.isDisposed) {
    throw new InvalidArgumentError(
      argument,
      'the tensor is disposed (it was freed, e.g. by tf.dispose or at the end of a tf.tidy, ' +
        'before this call).',
    );
  }
}

/** A short description of a value of the wrong kind, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    if (!name || name === 'Object') return 'a plain object';
    return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  return typeof value === 'function' ? 'a function' : `a ${typeof value}`;
}

/**
 * The options object of a method's constructor, checked: `undefined` is `{}` when no option is
 * required; anything but a plain object (a number, an array, a tensor, `null`) is an
 * `InvalidArgumentError` naming `options`, and so is a missing object or a missing key when some
 * are `required` (naming the key then). `example` shows a correct call, for the message.
 *
 * @example
 * ```ts
 * const { c } = readOptions<CAGradOptions>(options, 'CAGrad', ['c'], 'new CAGrad({ c: 0.5 })');
 * ```
 */
export function readOptions<T extends object>(
  options: T | undefined,
  method: string,
  required: readonly string[] = [],
  example?: string,
): T {
  const hint = example === undefined ? '' : `, e.g. ${example}`;
  if (options === undefined) {
    if (required.length === 0) return {} as T;
    throw new InvalidArgumentError(
      'options',
      `${method} needs an options object with ${required.map((k) => `\`${k}\``).join(', ')}${hint}.`,
    );
  }
  if (
    options === null ||
    typeof options !== 'object' ||
    Array.isArray(options) ||
    isTensor(options)
  ) {
    throw new InvalidArgumentError(
      'options',
      `${method} expects an options object${hint}; got ${describeValue(options)}.`,
    );
  }
  for (const key of required) {
    if ((options as Record<string, unknown>)[key] === undefined) {
      throw new InvalidArgumentError(key, `is required by ${method}${hint}.`);
    }
  }
  return options;
}

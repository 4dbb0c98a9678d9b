/**
 * Normalization of the parameter lists every public function takes (`inputs`, `sharedParams`,
 * `tasksParams`, `jacToGrad`'s variables, `zeroGrad`/`gradsMap`, the Engine's layers): any iterable
 * (array, Set, generator…) of `tf.Variable`s or of tfjs-layers `LayerVariable`s, such as
 * `model.trainableWeights`, as TorchJD takes any iterable of tensors.
 */
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { isTensor, isVariable } from '../tfjs_guards';

/**
 * What a parameter list may hold: a `tf.Variable`, or a tfjs-layers `LayerVariable` (what
 * `layer.trainableWeights` holds), whose `read()` gives its variable.
 */
export type VariableLike = tf.Variable | { read(): tf.Tensor };

/** Any iterable of variables: `tf.Variable[]`, `model.trainableWeights`, a `Set`, a generator… */
export type Variables = Iterable<VariableLike>;

/** True for a tfjs-layers `LayerVariable` (not itself a tensor; `read()` gives its variable). */
function isLayerVariable(value: unknown): value is { read(): unknown } {
  return (
    value !== null &&
    typeof value === 'object' &&
    !isTensor(value) &&
    typeof (value as { read?: unknown }).read === 'function'
  );
}

/** The elements of `value` when it is iterable (and not a string or a tensor), else `undefined`. */
function elementsOf(value: unknown): unknown[] | undefined {
  if (value === null || typeof value !== 'object' || isTensor(value)) return undefined;
  if (Array.isArray(value)) return value;
  if (typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') return undefined;
  return [...(value as Iterable<unknown>)];
}

/**
 * The variables of a parameter list, as an array (a `LayerVariable` replaced by its variable).
 * Throws an `InvalidArgumentError` naming `argument` for anything else, and for a disposed variable
 * unless `allowDisposed` (clearing the store of one is fine). Order and repetitions are kept.
 *
 * @example
 * ```ts
 * variableList(model.trainableWeights, 'sharedParams'); // tf.Variable[]
 * variableList(new Set([w, b]), 'inputs');              // [w, b]
 * ```
 */
export function variableList(
  value: unknown,
  argument: string,
  { allowDisposed = false }: { allowDisposed?: boolean } = {},
): tf.Variable[] {
  const elements = elementsOf(value);
  if (elements === undefined) {
    throw new InvalidArgumentError(
      argument,
      'expected an iterable (array, Set…) of tf.Variable or of LayerVariable (e.g. ' +
        'model.trainableWeights).',
    );
  }
  return elements.map((element, i) => {
    const variable = isLayerVariable(element) ? element.read() : element;
    if (!isVariable(variable)) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} is not a tf.Variable (nor a LayerVariable of tfjs-layers).`,
      );
    }
    if (variable.isDisposed && !allowDisposed) {
      throw new InvalidArgumentError(argument, `element ${i} is disposed.`);
    }
    return variable;
  });
}

/**
 * The tensors of a list of tensors (or a single tensor), an iterable accepted like
 * {@link variableList}, a `LayerVariable` replaced by its variable. Does not check emptiness.
 */
export function tensorListOf(value: unknown, argument: string): tf.Tensor[] {
  if (isTensor(value)) {
    if (value.isDisposed) throw new InvalidArgumentError(argument, 'is disposed.');
    return [value];
  }
  const elements = elementsOf(value);
  if (elements === undefined) {
    throw new InvalidArgumentError(argument, 'expected a tf.Tensor or an iterable of tf.Tensor.');
  }
  return elements.map((element, i) => {
    const tensor = isLayerVariable(element) ? element.read() : element;
    if (!isTensor(tensor)) {
      throw new InvalidArgumentError(argument, `element ${i} is not a tf.Tensor.`);
    }
    if (tensor.isDisposed) throw new InvalidArgumentError(argument, `element ${i} is disposed.`);
    return tensor;
  });
}

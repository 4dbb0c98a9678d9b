/**
 * Recognizing tfjs objects by what they are, not by `instanceof`: a user's tree may hold two tfjs
 * copies (one nested under another package, or an ESM and a CommonJS build of the same version),
 * and a tensor made by one copy is not an instance of the other copy's `Tensor` class. Each
 * predicate checks the members tfjs-jd relies on, all present throughout tfjs 4.x.
 */
import type * as tf from '@tensorflow/tfjs';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/**
 * Whether `value` is a tfjs tensor (of any tfjs copy), disposed or not.
 *
 * @example
 * ```ts
 * isTensor(tf.scalar(1)); // true
 * isTensor([1, 2]);       // false
 * ```
 */
export function isTensor(value: unknown): value is tf.Tensor {
  return (
    isObject(value) &&
    typeof value.id === 'number' &&
    isObject(value.dataId) &&
    Array.isArray(value.shape) &&
    typeof value.dtype === 'string' &&
    typeof value.dataSync === 'function' &&
    typeof value.dispose === 'function'
  );
}

/**
 * Whether `value` is a `tf.Variable` (of any tfjs copy): a tensor that can be assigned to and
 * has a name and a trainable flag.
 *
 * @example
 * ```ts
 * isVariable(tf.variable(tf.zeros([2]))); // true
 * isVariable(tf.zeros([2]));              // false
 * ```
 */
export function isVariable(value: unknown): value is tf.Variable {
  return (
    isTensor(value) &&
    typeof (value as unknown as Record<string, unknown>).assign === 'function' &&
    typeof (value as unknown as Record<string, unknown>).trainable === 'boolean' &&
    typeof (value as unknown as Record<string, unknown>).name === 'string'
  );
}

/**
 * Whether `value` is a tfjs layer (`tf.layers.Layer`, of any tfjs copy; models are layers too).
 *
 * @example
 * ```ts
 * isLayer(tf.layers.dense({ units: 1 })); // true
 * ```
 */
export function isLayer(value: unknown): value is tf.layers.Layer {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    typeof value.built === 'boolean' &&
    typeof value.apply === 'function' &&
    typeof value.getWeights === 'function' &&
    typeof value.getClassName === 'function'
  );
}

/**
 * Whether `value` is a `tf.LayersModel` (`tf.model`, `tf.sequential`, of any tfjs copy): a layer
 * made of layers that can predict.
 *
 * @example
 * ```ts
 * isLayersModel(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] })); // true
 * isLayersModel(tf.layers.dense({ units: 1 }));                                               // false
 * ```
 */
export function isLayersModel(value: unknown): value is tf.LayersModel {
  return (
    isLayer(value) &&
    Array.isArray((value as unknown as Record<string, unknown>).layers) &&
    typeof (value as unknown as Record<string, unknown>).predict === 'function' &&
    typeof (value as unknown as Record<string, unknown>).compile === 'function'
  );
}

/** The trainable variables behind a layer's weights, told apart by their fields, not `instanceof`. */
import type * as tf from '@tensorflow/tfjs';

function isTrainableVariable(t: tf.Tensor): t is tf.Variable {
  const v = t as Partial<tf.Variable>;
  return v.trainable === true && typeof v.name === 'string' && typeof v.assign === 'function';
}

/** The trainable `tf.Variable`s of `layer` (a model included), each once, in weight order. */
export function trainableVariables(layer: tf.layers.Layer): tf.Variable[] {
  const seen = new Map<number, tf.Variable>();
  for (const weight of layer.trainableWeights) {
    const value = weight.read();
    if (isTrainableVariable(value)) seen.set(value.id, value);
  }
  return [...seen.values()];
}

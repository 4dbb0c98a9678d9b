/**
 * The model's regularization penalties (kernel and bias regularizers). `model.fit` adds them once
 * to the summed loss; `jdFit` adds their gradient to the update, outside the aggregation, since a
 * penalty is not one of the objectives whose conflicts Jacobian descent resolves. With `Sum` both
 * give the same update.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Adds the gradient of the model's penalties to `grads` (in place, disposing what it replaces)
 * and returns the penalty's value (0 when the model has none).
 */
export function addRegularizerGradients(
  model: tf.LayersModel,
  variables: tf.Variable[],
  grads: tf.NamedTensorMap,
): number {
  if (!model.layers.some((layer) => layer.losses.length > 0)) return 0;
  const { value, grads: penalty } = tf.variableGrads(
    () => tf.addN(model.calculateLosses()) as tf.Scalar,
    variables,
  );
  for (const [name, g] of Object.entries(penalty)) {
    const previous = grads[name];
    if (previous === undefined) {
      grads[name] = g;
    } else {
      grads[name] = tf.add(previous, g);
      tf.dispose([previous, g]);
    }
  }
  const result = value.dataSync()[0];
  value.dispose();
  return result;
}

/** Small tf.layers models the autogram specs share. */
import * as tf from '@tensorflow/tfjs';

/**
 * Embedding (vocabulary 6, width 3, sequences of 4) → Flatten → Dense(`units`, `activation`),
 * seeded.
 */
export function embeddingModel(
  units = 1,
  activation: 'linear' | 'tanh' = 'linear',
): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: 6,
        outputDim: 3,
        inputLength: 4,
        embeddingsInitializer: tf.initializers.randomNormal({ seed: 5 }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({
        units,
        activation,
        kernelInitializer: tf.initializers.glorotNormal({ seed: 6 }),
      }),
    ],
  });
}

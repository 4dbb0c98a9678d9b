/** The benchmark model shared by the suites: an MLP trunk 784→256→256 (ReLU) with m 10-way heads. */
import * as tf from '@tensorflow/tfjs';

export interface MultiHeadMlp {
  trunk: tf.Variable[];
  heads: tf.Variable[][];
  x: tf.Tensor2D;
  labels: tf.Tensor2D[];
  features(): tf.Tensor2D;
  lossOfHead(features: tf.Tensor2D, head: number): tf.Scalar;
  dispose(): void;
}

function dense(inputs: number, outputs: number, seed: number): tf.Variable[] {
  const scale = Math.sqrt(2 / inputs);
  // tf.variable keeps its initial value's data but not the tensor: tidy disposes the latter.
  return tf.tidy(() => [
    tf.variable(tf.randomNormal([inputs, outputs], 0, scale, 'float32', seed)),
    tf.variable(tf.zeros([outputs])),
  ]);
}

/** A fresh model with random weights and a random batch of `batch` examples. */
export function multiHeadMlp(numHeads: number, batch = 64, seed = 0): MultiHeadMlp {
  const trunk = [...dense(784, 256, seed), ...dense(256, 256, seed + 1)];
  const heads = Array.from({ length: numHeads }, (_, i) => dense(256, 10, seed + 2 + i));
  const x = tf.randomUniform([batch, 784], 0, 1, 'float32', seed) as tf.Tensor2D;
  const labels = tf.tidy(() =>
    heads.map(
      (_, i) =>
        tf.oneHot(
          tf.randomUniform([batch], 0, 10, 'int32', seed + 100 + i) as tf.Tensor1D,
          10,
        ) as tf.Tensor2D,
    ),
  );
  return {
    trunk,
    heads,
    x,
    labels,
    features: () => {
      const h1 = tf.relu(tf.add(tf.matMul(x, trunk[0]), trunk[1]));
      return tf.relu(tf.add(tf.matMul(h1, trunk[2]), trunk[3])) as tf.Tensor2D;
    },
    lossOfHead: (features, head) => {
      const [w, b] = heads[head];
      const logits = tf.add(tf.matMul(features, w), b);
      return tf.losses.softmaxCrossEntropy(labels[head], logits) as tf.Scalar;
    },
    dispose: () => tf.dispose([...trunk, ...heads.flat(), x, ...labels]),
  };
}

// The README's first example without tfjs-jd: the same models and loop, trained by tfjs alone on
// the sum of the losses. The browser test bundles both and prints what tfjs-jd adds.
import * as tf from '@tensorflow/tfjs';

await tf.ready();
console.log(`backend: ${tf.getBackend()}`);

const trunk = tf.sequential({
  layers: [tf.layers.dense({ inputShape: [10], units: 5, activation: 'relu' })],
});
const head1 = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 1 })] });
const head2 = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 1 })] });
const optimizer = tf.train.sgd(0.1);

for (let step = 0; step < 8; step++) {
  const [x, y1, y2] = [
    tf.randomNormal([16, 10]),
    tf.randomNormal([16, 1]),
    tf.randomNormal([16, 1]),
  ];
  const { value, grads } = tf.variableGrads(() => {
    const features = trunk.apply(x) as tf.Tensor;
    const loss1 = tf.losses.meanSquaredError(y1, head1.apply(features) as tf.Tensor) as tf.Scalar;
    const loss2 = tf.losses.meanSquaredError(y2, head2.apply(features) as tf.Tensor) as tf.Scalar;
    return tf.add(loss1, loss2) as tf.Scalar;
  });
  optimizer.applyGradients(grads);
  console.log(`step ${step}: loss ${value.dataSync()[0].toFixed(3)}`);
  tf.dispose([x, y1, y2, value, grads]);
}

/**
 * Partial Jacobian descent for instance-wise risk minimization (TorchJD's "partial_jd" example):
 * one loss per example, and conflicts resolved from the Jacobian with respect to the last two
 * layers only, which is cheaper than the full Jacobian. The weights UPGrad derives from that
 * partial Gramian then weight one ordinary backward pass through the whole model.
 */
import * as tf from '@tensorflow/tfjs';
import {
  backward,
  gradsMap,
  jac,
  record,
  UPGradWeighting,
  useFastestBackend,
  zeroGrad,
} from '../lib';

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  console.log(`tfjs-jd partial Jacobian descent demo — backend: ${await useFastestBackend()}\n`);
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [10],
        units: 8,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
  // The Jacobian is taken with respect to these parameters only.
  const lastLayers = model.layers
    .slice(1)
    .flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const X = Array.from({ length: 8 }, (_, i) => tf.randomNormal([16, 10], 0, 1, 'float32', i));
  const Y = Array.from({ length: 8 }, (_, i) => tf.randomNormal([16], 0, 1, 'float32', 100 + i));
  const optimizer = tf.train.sgd(0.1);
  const weighting = new UPGradWeighting();

  for (let epoch = 0; epoch < 5; epoch++) {
    let total = 0;
    X.forEach((x, batch) => {
      const losses = record(() => {
        const prediction = (model.apply(x) as tf.Tensor).squeeze([1]);
        return tf.square(tf.sub(prediction, Y[batch])); // shape [16]: one loss per example
      });
      total += tf.tidy(() => tf.mean(losses).dataSync()[0]) / X.length;
      const jacobians = jac(losses, lastLayers, { retainGraph: true }); // [16, ...shape] each
      const weights = tf.tidy(() => {
        const gramian = jacobians
          .map((j) => j.reshape([16, -1]))
          .map((j) => tf.matMul(j, j, false, true))
          .reduce((a, b) => tf.add(a, b)) as tf.Tensor2D;
        return weighting.apply(gramian);
      });
      backward(losses, { gradient: weights }); // Σᵢ wᵢ ∇ℓᵢ into .grad of every parameter
      optimizer.applyGradients(gradsMap());
      zeroGrad();
      tf.dispose([losses, weights, ...jacobians]);
    });
    console.log(`epoch ${epoch}: mean per-example loss ${total.toFixed(4)}`);
  }
  tf.dispose([...X, ...Y]);
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

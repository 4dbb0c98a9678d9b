/**
 * Partial Jacobian descent, TorchJD's "Partial JD for IWRM" example on TensorFlow.js: one loss per
 * instance (16 objectives per batch), and the conflict between them is resolved from the Jacobian
 * with respect to the last two dense layers only, which is much cheaper than the full Jacobian.
 * The weights UPGrad derives from that partial Gramian then weight the per-instance losses for an
 * ordinary backward pass through the whole model. TorchJD uses its autogram engine for the
 * Gramian; here `autojac.jac` gives the partial Jacobian explicitly.
 * Run: `npx tsx demos/partial_jd.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  autograd,
  gradsMap,
  jac,
  record,
  UPGradWeighting,
  useFastestBackend,
  zeroGrad,
} from '../lib';

const EPOCHS = 10;

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const backend = await useFastestBackend();
  console.log(`Partial Jacobian descent (last two layers) — backend: ${backend}\n`);

  const dense = (units: number, seed: number, extra: object = {}) =>
    tf.layers.dense({
      units,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      ...extra,
    });
  const model = tf.sequential({
    layers: [
      dense(8, 1, { inputShape: [10], activation: 'relu' }),
      dense(5, 2, { activation: 'relu' }),
      dense(1, 3),
    ],
  });
  // The parameters of the last two dense layers: the Jacobian is taken with respect to them only.
  const partial = model.layers
    .slice(1)
    .flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
  // TorchJD uses 0.1 on pure-noise targets; with learnable targets 0.05 keeps the descent stable.
  const optimizer = tf.train.sgd(0.05);
  const weighting = new UPGradWeighting();

  // 8 batches of 16 instances (seeded); targets from a hidden linear rule plus noise, so that
  // there is something to learn.
  const rule = tf.randomNormal([10, 1], 0, 0.5, 'float32', 9);
  const X = Array.from({ length: 8 }, (_, i) => tf.randomNormal([16, 10], 0, 1, 'float32', 10 + i));
  const Y = X.map((x, i) =>
    tf.tidy(() =>
      tf.add(tf.matMul(x, rule).reshape([16]), tf.randomNormal([16], 0, 0.1, 'float32', 20 + i)),
    ),
  );
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    let meanLoss = 0;
    for (let b = 0; b < X.length; b++) {
      // One squared error per instance: a vector of 16 objectives.
      const losses = record(() =>
        tf.square(tf.sub((model.apply(X[b]) as tf.Tensor).reshape([16]), Y[b])),
      );
      meanLoss += tf.tidy(() => tf.mean(losses).dataSync()[0]) / X.length;
      // Partial Jacobian [16, ...shape] per variable; its Gramian is the sum of the per-variable ones.
      const jacobians = jac(losses, partial, { retainGraph: true });
      const gramian = tf.tidy(() =>
        jacobians
          .map((j) => {
            const matrix = j.reshape([16, -1]);
            return tf.matMul(matrix, matrix, false, true);
          })
          .reduce((a, c) => tf.add(a, c)),
      ) as tf.Tensor2D;
      const weights = weighting.apply(gramian);
      // Backward of Σᵢ wᵢ·lossᵢ through the whole model, first layer included.
      autograd.backward(losses, { gradient: weights });
      optimizer.applyGradients(gradsMap());
      zeroGrad();
      tf.dispose([losses, jacobians, gramian, weights]);
    }
    console.log(
      `epoch ${String(epoch).padStart(2)}: mean per-instance loss ${meanLoss.toFixed(4)}`,
    );
  }
  tf.dispose([X, Y, rule]);
  optimizer.dispose();
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

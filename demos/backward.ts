/**
 * TorchJD's "basic usage" example on TensorFlow.js: a regression model with two outputs, one MSE
 * loss per output, and Jacobian descent with UPGrad through `autojac.backward` (which fills the
 * `.jac` of every parameter) and `jacToGrad` (which aggregates them into `.grad`).
 * Run: `npx tsx demos/backward.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  autojac,
  gradsMap,
  jacOf,
  jacToGrad,
  record,
  UPGrad,
  useFastestBackend,
  zeroGrad,
} from '../lib';

const STEPS = 30;

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const backend = await useFastestBackend();
  console.log(`autojac.backward on a vector of objectives — backend: ${backend}\n`);

  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [10],
        units: 5,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const parameters = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.sgd(0.1);
  const aggregator = new UPGrad();

  // A batch of 16 random inputs of length 10 and two batches of 16 targets (seeded).
  const input = tf.randomNormal([16, 10], 0, 1, 'float32', 3);
  const target1 = tf.randomNormal([16], 0, 1, 'float32', 4);
  const target2 = tf.randomNormal([16], 0, 1, 'float32', 5);
  const lossesOf = () => {
    const output = model.apply(input) as tf.Tensor2D;
    const [out1, out2] = tf.unstack(output, 1);
    return [
      tf.losses.meanSquaredError(target1, out1) as tf.Scalar,
      tf.losses.meanSquaredError(target2, out2) as tf.Scalar,
    ];
  };

  for (let step = 0; step < STEPS; step++) {
    const losses = record(lossesOf);
    autojac.backward(losses); // every parameter's .jac: [2, ...its shape]
    if (step === 0) {
      console.log('After autojac.backward([loss1, loss2]), one Jacobian per parameter:');
      parameters.forEach((p) =>
        console.log(`  ${p.name.padEnd(28)} .jac shape [${jacOf(p)!.shape}]`),
      );
      console.log('');
    }
    const weights = jacToGrad(parameters, aggregator); // .jac → .grad, .jac cleared
    optimizer.applyGradients(gradsMap());
    zeroGrad();
    if (step % 5 === 0 || step === STEPS - 1) {
      const [l1, l2] = losses.map((l) => l.dataSync()[0]);
      console.log(
        `step ${String(step).padStart(2)}: loss1 ${l1.toFixed(4)}  loss2 ${l2.toFixed(4)}  ` +
          `UPGrad weights [${weights!.map((w) => w.toFixed(3)).join(', ')}]`,
      );
    }
    tf.dispose(losses);
  }
  tf.dispose([input, target1, target2]);
  optimizer.dispose();
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

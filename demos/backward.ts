/**
 * autojac.backward on a vector of objectives (TorchJD's basic-usage example): a model with two
 * outputs, one loss each, the Jacobian into `.jac`, aggregated by UPGrad into `.grad`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  autojac,
  gradOf,
  gradsMap,
  jacOf,
  jacToGrad,
  record,
  UPGrad,
  useFastestBackend,
  zeroGrad,
} from '../lib';

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  console.log(`tfjs-jd autojac.backward demo — backend: ${await useFastestBackend()}\n`);
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
  const input = tf.randomNormal([16, 10], 0, 1, 'float32', 3);
  const target1 = tf.randomNormal([16], 0, 1, 'float32', 4);
  const target2 = tf.randomNormal([16], 0, 1, 'float32', 5);

  for (let step = 0; step < 10; step++) {
    const [loss1, loss2] = record(() => {
      const output = model.apply(input) as tf.Tensor2D;
      const [out1, out2] = tf.unstack(output, 1);
      return [tf.losses.meanSquaredError(target1, out1), tf.losses.meanSquaredError(target2, out2)];
    });
    autojac.backward([loss1, loss2]); // every parameter gets a .jac with 2 rows
    if (step === 0) {
      for (const p of parameters) console.log(`  .jac of ${p.name}: shape [${jacOf(p)!.shape}]`);
    }
    const weights = jacToGrad(parameters, aggregator); // .jac → .grad, .jac cleared
    if (step === 0)
      console.log(`  .grad of ${parameters[0].name}: shape [${gradOf(parameters[0])!.shape}]\n`);
    console.log(
      `step ${step}: loss1 ${loss1.dataSync()[0].toFixed(4)}  loss2 ${loss2.dataSync()[0].toFixed(4)}  weights [${weights!.map((w) => w.toFixed(3)).join(', ')}]`,
    );
    optimizer.applyGradients(gradsMap());
    zeroGrad();
    tf.dispose([loss1, loss2]);
  }
  tf.dispose([input, target1, target2]);
  model.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

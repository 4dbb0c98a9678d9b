/**
 * Monitoring aggregations with hooks (TorchJD's "Monitoring aggregations" example): a forward hook
 * on UPGrad's Gramian weighting prints the weights it gives each task, and a forward hook on the
 * aggregator prints the cosine similarity between the aggregation and the mean gradient, during a
 * small two-task training (shared 10→5→3 ReLU trunk, two linear heads, MSE, SGD 0.1).
 *
 * A similarity below 1 means Jacobian descent is doing something other than gradient descent on
 * the average loss: with UPGrad, that happens when the tasks' gradients conflict.
 *
 * Run with `npx tsx demos/monitoring.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  gradsMap,
  jacToGrad,
  mtlBackward,
  record,
  UPGrad,
  useFastestBackend,
  zeroGrad,
} from '../lib';

/** The step being taken, so that each hook's line says which step it saw. */
let step = 0;

/** Prints the weights the weighting extracted (hook on `aggregator.gramianWeighting`). */
function printWeights(_module: unknown, _inputs: [tf.Tensor2D], weights: tf.Tensor1D): void {
  const values = Array.from(weights.dataSync(), (w) => w.toFixed(4));
  console.log(`step ${step}: UPGrad weights (task 1, task 2) [${values.join(', ')}]`);
}

/** Prints the cosine similarity between the aggregation and the mean of the rows (hook on the aggregator). */
function printGdSimilarity(
  _module: unknown,
  [matrix]: [tf.Tensor2D],
  aggregation: tf.Tensor1D,
): void {
  const similarity = tf.tidy(() => {
    const mean = tf.mean(matrix, 0);
    const denominator = tf.mul(tf.norm(mean), tf.norm(aggregation));
    // A zero vector has no direction: report 0 rather than dividing by 0.
    return tf.divNoNan(tf.sum(tf.mul(mean, aggregation)), denominator).dataSync()[0];
  });
  console.log(`step ${step}: cosine(update, mean gradient) ${similarity.toFixed(4)}`);
}

function makeModel() {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const trunk = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [10],
        units: 5,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({ units: 3, activation: 'relu', kernelInitializer: init(2) }),
    ],
  });
  const head = (seed: number) =>
    tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 1, kernelInitializer: init(seed) })],
    });
  return { trunk, head1: head(3), head2: head(4) };
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const backend = await useFastestBackend();
  console.log(`tfjs-jd monitoring demo — backend: ${backend}\n`);

  const { trunk, head1, head2 } = makeModel();
  const optimizer = tf.train.sgd(0.1);
  const aggregator = new UPGrad();
  const weightsHook = aggregator.gramianWeighting.registerForwardHook(printWeights);
  const similarityHook = aggregator.registerForwardHook(printGdSimilarity);

  // 8 batches of 16 random inputs of length 10, and a random target per task (fixed seeds).
  const inputs = tf.randomNormal([8, 16, 10], 0, 1, 'float32', 0);
  const targets1 = tf.randomNormal([8, 16, 1], 0, 1, 'float32', 1);
  const targets2 = tf.randomNormal([8, 16, 1], 0, 1, 'float32', 2);
  const trunkVariables = trunk.trainableWeights.map((w) => w.read() as tf.Variable);

  for (let batch = 0; batch < 8; batch++) {
    step = batch + 1;
    const [input, target1, target2] = [inputs, targets1, targets2].map((t) =>
      tf.tidy(() => t.slice(batch, 1).squeeze([0])),
    );
    const { features, losses } = record(() => {
      const shared = trunk.apply(input) as tf.Tensor;
      const loss1 = tf.losses.meanSquaredError(target1, head1.apply(shared) as tf.Tensor);
      const loss2 = tf.losses.meanSquaredError(target2, head2.apply(shared) as tf.Tensor);
      return { features: shared, losses: [loss1, loss2] as tf.Scalar[] };
    });
    mtlBackward({ losses, features });
    jacToGrad(trunkVariables, aggregator);
    optimizer.applyGradients(gradsMap());
    zeroGrad();
    tf.dispose([features, losses, input, target1, target2]);
  }

  weightsHook.remove();
  similarityHook.remove();
  tf.dispose([inputs, targets1, targets2]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

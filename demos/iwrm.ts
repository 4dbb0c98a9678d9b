/**
 * Instance-Wise Risk Minimization (TorchJD's IWRM example) with the autogram engine: every instance
 * of a batch is its own objective, UPGrad picks the weights from the [b, b] Gramian of the
 * per-instance losses (never forming the [b, n] Jacobian), and one weighted backward pass gives the
 * update. First a 10→5→3→1 ReLU regression MLP, then a small Conv2D classifier; each trains for
 * four epochs of 8 batches of 16 with SGD 0.1, both on the fastest backend (on wasm,
 * `useFastestBackend` installs the convolution gradients tfjs's wasm backend lacks).
 *
 * Run with `npx tsx demos/iwrm.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  backward,
  Engine,
  gradsMap,
  record,
  UPGradWeighting,
  useFastestBackend,
  zeroGrad,
} from '../lib';

const BATCHES = 8;
const BATCH_SIZE = 16;

/**
 * Trains `model` for one pass over the batches with IWRM and returns the mean loss of each batch
 * (computed before its update).
 */
function trainIwrm(
  model: tf.LayersModel,
  batches: { x: tf.Tensor; y: tf.Tensor }[],
  lossPerInstance: (prediction: tf.Tensor, y: tf.Tensor) => tf.Tensor,
): number[] {
  const engine = new Engine(model, { batchDim: 0 });
  const weighting = new UPGradWeighting();
  const optimizer = tf.train.sgd(0.1);
  const variables = engine.weights();
  const history: number[] = [];
  for (const { x, y } of batches) {
    const losses = record(() => lossPerInstance(model.apply(x) as tf.Tensor, y));
    const gramian = engine.computeGramian(losses);
    const weights = weighting.apply(gramian);
    backward(losses, { gradient: weights });
    optimizer.applyGradients(gradsMap(variables));
    zeroGrad(variables);
    history.push(tf.tidy(() => tf.mean(losses).dataSync()[0]));
    tf.dispose([losses, gramian, weights]);
  }
  optimizer.dispose();
  return history;
}

function regressionDemo(): number[] {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [10],
        units: 5,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({ units: 3, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
  // A learnable target: a fixed random linear map of the inputs.
  const truth = tf.randomNormal([10, 1], 0, 0.5, 'float32', 99);
  const batches = Array.from({ length: BATCHES * 4 }, (_, i) =>
    tf.tidy(() => {
      const x = tf.randomNormal([BATCH_SIZE, 10], 0, 1, 'float32', 100 + (i % BATCHES));
      return { x, y: tf.matMul(x, truth) };
    }),
  );
  truth.dispose();
  const mse = (prediction: tf.Tensor, y: tf.Tensor) =>
    tf.mean(tf.squaredDifference(prediction, y), 1);
  const history = trainIwrm(model, batches, mse);
  batches.forEach(({ x, y }) => tf.dispose([x, y]));
  model.dispose();
  return history;
}

function convDemo(): number[] {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(4),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, kernelInitializer: init(5) }),
    ],
  });
  // Three classes told apart by where the bright square is: top-left, centre or bottom-right.
  const batches = Array.from({ length: BATCHES * 4 }, (_, i) =>
    tf.tidy(() => {
      const labels = tf.randomUniform([BATCH_SIZE], 0, 3, 'int32', 300 + i);
      const corners = [0, 2, 5];
      const images = tf.stack(
        Array.from(labels.dataSync()).map((label) =>
          tf.pad(tf.ones([3, 3, 1]), [
            [corners[label], 5 - corners[label]],
            [corners[label], 5 - corners[label]],
            [0, 0],
          ]),
        ),
      );
      const noise = tf.randomNormal([BATCH_SIZE, 8, 8, 1], 0, 0.1, 'float32', 400 + i);
      return { x: tf.add(images, noise), y: tf.oneHot(labels, 3) };
    }),
  );
  const crossEntropy = (logits: tf.Tensor, y: tf.Tensor) =>
    tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1));
  const history = trainIwrm(model, batches, crossEntropy);
  batches.forEach(({ x, y }) => tf.dispose([x, y]));
  model.dispose();
  return history;
}

async function main(): Promise<void> {
  tf.env().set('PROD', true); // silences tfjs's install-tfjs-node banner only
  const backend = await useFastestBackend();
  console.log(`tfjs-jd instance-wise risk minimization demo — backend: ${backend}`);
  // One row per epoch: the mean loss of each of its batches, before that batch's update.
  const table = (losses: number[]) =>
    Array.from({ length: losses.length / BATCHES }, (_, epoch) => {
      const row = losses.slice(epoch * BATCHES, (epoch + 1) * BATCHES);
      return `  epoch ${epoch + 1}: ${row.map((l) => l.toFixed(3)).join('  ')}`;
    }).join('\n');
  const header =
    `  batch:   ${Array.from({ length: BATCHES }, (_, b) => String(b + 1).padEnd(5)).join('  ')}`.trimEnd();
  console.log(
    `\nIWRM, 10→5→3→1 ReLU regression: mean MSE of each batch before its step\n${header}`,
  );
  console.log(table(regressionDemo()));
  console.log(
    `\nIWRM, Conv2D classifier: mean cross-entropy of each batch before its step\n${header}`,
  );
  console.log(table(convDemo()));
  console.log(`tensors alive at the end: ${tf.memory().numTensors}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * MultiMNIST trained the Keras way: a functional `tf.model` with one output per task, compiled
 * with one loss per output, trained by `jdFit` in place of `model.fit` (the custom loop of
 * `demos/multimnist.ts` does the same by hand). The shared trunk is found from the graph; the
 * callback prints, after each epoch, the weights UPGrad gave the two tasks and the cosine between
 * its update and the plain mean gradient.
 *
 *   npx tsx demos/multimnist_fit.ts            # 10 000 pairs, 3 epochs
 *   npx tsx demos/multimnist_fit.ts --quick    # 1 280 pairs, 1 epoch
 *   npx tsx demos/multimnist_fit.ts --epochs 5 --train-pairs 20000
 */
import * as tf from '@tensorflow/tfjs';
import { jdFit, UPGrad, useFastestBackend } from '../lib';
import { buildMultiMnist, makeBatch, NUM_CLASSES } from './multimnist/data';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value)) throw new Error(`${name} expects a number.`);
  return value;
}

/** LeNet-like trunk, one softmax head per digit: plain tf.layers, nothing specific to jdFit. */
function buildModel(canvasSize: number): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [canvasSize, canvasSize, 1] });
  let h = input;
  for (const [i, filters] of [10, 20].entries()) {
    h = tf.layers
      .conv2d({ filters, kernelSize: 5, activation: 'relu', kernelInitializer: init(i + 1) })
      .apply(h) as tf.SymbolicTensor;
    h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .dense({ units: 50, activation: 'relu', kernelInitializer: init(3) })
    .apply(h) as tf.SymbolicTensor;
  const head = (name: string, seed: number) =>
    tf.layers
      .dense({ units: NUM_CLASSES, activation: 'softmax', name, kernelInitializer: init(seed) })
      .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [head('left', 4), head('right', 5)] });
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const backend = await useFastestBackend();
  const epochs = option('--epochs', quick ? 1 : 3);
  const trainPairs = option('--train-pairs', quick ? 1280 : 10000);
  const testPairs = option('--test-pairs', quick ? 500 : 2000);
  const data = buildMultiMnist({ trainPairs, testPairs, seed: 0 });
  const canvas = data.layout.canvasSize;
  const train = makeBatch(data.digits, data.train, canvas);
  const test = makeBatch(data.digits, data.test, canvas);
  console.log(
    `MultiMNIST with jdFit: ${trainPairs} train pairs, ${testPairs} test pairs, ${backend}`,
  );

  const model = buildModel(canvas);
  model.compile({
    optimizer: tf.train.adam(0.002),
    loss: ['categoricalCrossentropy', 'categoricalCrossentropy'],
    metrics: ['accuracy'],
  });
  // The one line that changes: model.fit(x, y, args) becomes jdFit(model, x, y, args).
  const history = await jdFit(model, train.images, [train.leftLabels, train.rightLabels], {
    epochs,
    batchSize: 64,
    aggregator: new UPGrad(),
    validationData: [test.images, [test.leftLabels, test.rightLabels]],
    callbacks: {
      onEpochEnd: (epoch, logs) =>
        console.log(
          `  epoch ${epoch + 1}: UPGrad weights left ${logs!.left_weight.toFixed(3)}, ` +
            `right ${logs!.right_weight.toFixed(3)}; cos(update, mean gradient) ` +
            `${logs!.cosine.toFixed(4)}`,
        ),
    },
  });
  const h = history.history as { [key: string]: number[] };
  const last = epochs - 1;
  console.log(
    `test accuracy after ${epochs} epoch(s): left ${(100 * h.val_left_acc[last]).toFixed(1)}%, ` +
      `right ${(100 * h.val_right_acc[last]).toFixed(1)}%`,
  );
  for (const batch of [train, test])
    tf.dispose([batch.images, batch.leftLabels, batch.rightLabels]);
  model.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

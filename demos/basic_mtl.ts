/**
 * The main demo (`npm run demo`): TorchJD's README example on TensorFlow.js. A shared 10→5→3 ReLU
 * trunk with two linear heads, two MSE losses, SGD 0.1, and Jacobian descent with UPGrad: first
 * TorchJD-style (record + mtlBackward + jacToGrad), then tfjs-style (mtlGrads). The loss curves of
 * both, and of plain gradient descent on the summed loss for comparison, go to
 * demos/out/basic_mtl.svg (the two UPGrad runs compute the same thing, so they are one curve).
 */
import * as tf from '@tensorflow/tfjs';
import {
  gradsMap,
  jacToGrad,
  mtlBackward,
  mtlGrads,
  record,
  UPGrad,
  useFastestBackend,
  zeroGrad,
} from '../lib';
import { writeChartSvg } from './common/chart_files';
import { basicMtlFigure, EpochLosses } from './common/figures';

const EPOCHS = 25;

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
  const head1 = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 1, kernelInitializer: init(3) })],
  });
  const head2 = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 1, kernelInitializer: init(4) })],
  });
  return { trunk, head1, head2 };
}

/** 8 batches of 16 inputs of length 10, with two regression targets each (fixed seeds). */
function makeBatches() {
  return Array.from({ length: 8 }, (_, i) => ({
    input: tf.randomNormal([16, 10], 0, 1, 'float32', 10 + i),
    target1: tf.randomNormal([16, 1], 0, 1, 'float32', 20 + i),
    target2: tf.randomNormal([16, 1], 0, 1, 'float32', 30 + i),
  }));
}
type Batch = ReturnType<typeof makeBatches>[number];
let batches: Batch[] = [];
type Model = ReturnType<typeof makeModel>;

function forward({ trunk, head1, head2 }: Model, batch: Batch) {
  const features = trunk.apply(batch.input) as tf.Tensor;
  const loss1 = tf.losses.meanSquaredError(batch.target1, head1.apply(features) as tf.Tensor);
  const loss2 = tf.losses.meanSquaredError(batch.target2, head2.apply(features) as tf.Tensor);
  return { features, losses: [loss1, loss2] as tf.Scalar[] };
}

/** Mean of each task's loss over the 8 batches. */
function evaluate(model: Model): [number, number] {
  return tf.tidy(() => {
    const sums = [0, 0];
    for (const batch of batches) {
      const { losses } = forward(model, batch);
      losses.forEach((l, i) => (sums[i] += l.dataSync()[0] / batches.length));
    }
    return sums as [number, number];
  });
}

function trainTorchJdStyle(): EpochLosses {
  const model = makeModel();
  const optimizer = tf.train.sgd(0.1);
  const aggregator = new UPGrad();
  const trunkVariables = model.trunk.trainableWeights.map((w) => w.read() as tf.Variable);
  const curve = [evaluate(model)];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (const batch of batches) {
      const { features, losses } = record(() => forward(model, batch));
      mtlBackward({ losses, features });
      jacToGrad(trunkVariables, aggregator);
      optimizer.applyGradients(gradsMap());
      zeroGrad();
      tf.dispose([features, losses]);
    }
    curve.push(evaluate(model));
  }
  return curve;
}

function trainTfjsStyle(): EpochLosses {
  const model = makeModel();
  const optimizer = tf.train.sgd(0.1);
  const aggregator = new UPGrad();
  const curve = [evaluate(model)];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (const batch of batches) {
      const { losses, grads } = mtlGrads(() => forward(model, batch), { aggregator });
      optimizer.applyGradients(grads);
      tf.dispose([losses, grads]);
    }
    curve.push(evaluate(model));
  }
  return curve;
}

function trainSummedLoss(): EpochLosses {
  const model = makeModel();
  const optimizer = tf.train.sgd(0.1);
  const curve = [evaluate(model)];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (const batch of batches) {
      optimizer.minimize(() => {
        const { losses } = forward(model, batch);
        return tf.add(losses[0], losses[1]) as tf.Scalar;
      });
    }
    curve.push(evaluate(model));
  }
  return curve;
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const backend = await useFastestBackend();
  console.log(`tfjs-jd basic multi-task demo — backend: ${backend}\n`);
  batches = makeBatches();

  // One step in detail, exactly as TorchJD's README does it.
  const model = makeModel();
  const optimizer = tf.train.sgd(0.1);
  const trunkVariables = model.trunk.trainableWeights.map((w) => w.read() as tf.Variable);
  console.log(
    'One epoch step by step, TorchJD-style (record → mtlBackward → jacToGrad → applyGradients),\n' +
      'each line the losses before the step and the weights UPGrad gave the two tasks:',
  );
  for (const [step, batch] of batches.entries()) {
    const { features, losses } = record(() => forward(model, batch));
    const [l1, l2] = losses.map((l) => l.dataSync()[0]);
    mtlBackward({ losses, features });
    const weights = jacToGrad(trunkVariables, new UPGrad());
    optimizer.applyGradients(gradsMap());
    zeroGrad();
    tf.dispose([features, losses]);
    console.log(
      `  step ${step + 1} (batch ${step + 1}): task 1 loss ${l1.toFixed(4)}, task 2 loss ${l2.toFixed(4)}, ` +
        `UPGrad weights [${weights!.map((w) => w.toFixed(3)).join(', ')}]`,
    );
  }

  console.log(
    `\nTraining ${EPOCHS} epochs three ways: task 1 loss / task 2 loss, each the mean over the 8 batches after the epoch`,
  );
  const torchjd = trainTorchJdStyle();
  const tfjs = trainTfjsStyle();
  const summed = trainSummedLoss();
  console.log('  epoch | UPGrad (mtlBackward)  | UPGrad (mtlGrads)     | GD on loss1 + loss2');
  console.log('        | task 1 / task 2       | task 1 / task 2       | task 1 / task 2');
  for (let epoch = 0; epoch <= EPOCHS; epoch += 5) {
    const row = [torchjd, tfjs, summed].map(
      (c) => `${c[epoch][0].toFixed(3)} / ${c[epoch][1].toFixed(3)}`,
    );
    console.log(
      `  ${String(epoch).padStart(5)} | ${row.map((r) => r.padEnd(21)).join(' | ')}`.trimEnd(),
    );
  }
  const decreased = torchjd[EPOCHS].every((l, i) => l < torchjd[0][i]);
  console.log(`\nBoth losses decreased with UPGrad: ${decreased ? 'yes' : 'NO'}`);
  const file = await writeChartSvg(
    'demos/out/basic_mtl.svg',
    basicMtlFigure({ torchjd, tfjs, summed }, backend),
  );
  console.log(`Loss curves: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

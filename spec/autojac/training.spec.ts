/**
 * mtlGrads in real training loops: a tf.layers model (functional trunk, sequential heads) with
 * every tf.train optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { mtlGrads } from '../../lib/autojac';

function layersModel() {
  const input = tf.input({ shape: [6] });
  const hidden = tf.layers
    .dense({
      units: 5,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
    })
    .apply(input);
  const trunk = tf.model({ inputs: input, outputs: hidden as tf.SymbolicTensor });
  const head1 = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [5],
        units: 1,
        kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }),
      }),
    ],
  });
  const head2 = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [5],
        units: 1,
        kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }),
      }),
    ],
  });
  const x = tf.randomNormal([12, 6], 0, 1, 'float32', 4);
  const y1 = tf.randomNormal([12, 1], 0, 1, 'float32', 5);
  const y2 = tf.randomNormal([12, 1], 0, 1, 'float32', 6);
  const fn = () => {
    const features = trunk.apply(x) as tf.Tensor;
    return {
      features,
      losses: [
        tf.losses.meanSquaredError(y1, head1.apply(features) as tf.Tensor) as tf.Scalar,
        tf.losses.meanSquaredError(y2, head2.apply(features) as tf.Tensor) as tf.Scalar,
      ],
    };
  };
  const dispose = () => {
    tf.dispose([x, y1, y2]);
    [trunk, head1, head2].forEach((m) => m.dispose());
  };
  return { fn, dispose };
}

const optimizers: [string, () => tf.Optimizer][] = [
  ['sgd', () => tf.train.sgd(0.05)],
  ['momentum', () => tf.train.momentum(0.05, 0.9)],
  ['adam', () => tf.train.adam(0.01)],
  ['adagrad', () => tf.train.adagrad(0.05)],
  ['adadelta', () => tf.train.adadelta(0.05)],
  ['adamax', () => tf.train.adamax(0.01)],
  ['rmsprop', () => tf.train.rmsprop(0.01)],
];

describe('training a tf.layers model with mtlGrads', () => {
  it.each(optimizers)('decreases both losses with UPGrad and %s', (_, makeOptimizer) => {
    const model = layersModel();
    const optimizer = makeOptimizer();
    const aggregator = new UPGrad();
    let first: number[] = [];
    let last: number[] = [];
    for (let step = 0; step < 30; step++) {
      const { losses, grads } = mtlGrads(model.fn, { aggregator });
      const values = losses.map((l) => l.dataSync()[0]);
      if (step === 0) first = values;
      last = values;
      optimizer.applyGradients(grads);
      tf.dispose([losses, grads]);
    }
    expect(last[0]).toBeLessThan(first[0]);
    expect(last[1]).toBeLessThan(first[1]);
    optimizer.dispose();
    model.dispose();
  });
});

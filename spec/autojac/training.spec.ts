/**
 * mtlGrads in real training loops: a tf.layers model (functional trunk, sequential heads) with
 * every tf.train optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import { Sum } from '../../lib/aggregation/sum';
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

describe('mtlGrads shares an optimizer with tf.variableGrads', () => {
  it('its gradients come in creation order, so Adam steps of either kind can alternate', () => {
    // Two heads of the same shape: had the keys come in another order than tf.variableGrads's,
    // Adam (which keeps its moments by position) would swap their moments silently.
    const init = (seed: number) => tf.initializers.glorotNormal({ seed });
    // Named as layers name them: unnamed variables get numeric names, which objects list in
    // numeric order whatever the insertion order.
    const trunk = tf.variable(init(1).apply([4, 3]) as tf.Tensor, true, 'order/trunk');
    const heads = [2, 3].map((seed) =>
      tf.variable(init(seed).apply([3, 2]) as tf.Tensor, true, `order/head${seed}`),
    );
    const all = [trunk, ...heads];
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 4);
    const forward = () => {
      const features = tf.tanh(tf.matMul(x, trunk));
      return {
        features,
        losses: heads.map((h, i) => tf.mean(tf.square(tf.sub(tf.matMul(features, h), i)))),
      };
    };
    const plainStep = (optimizer: tf.Optimizer) => {
      const { value, grads } = tf.variableGrads(() => tf.addN(forward().losses) as tf.Scalar);
      optimizer.applyGradients(grads);
      tf.dispose([value, grads]);
    };
    const jdStep = (optimizer: tf.Optimizer) => {
      const { losses, grads } = mtlGrads(forward, { aggregator: new Sum() });
      expect(Object.keys(grads)).toEqual(all.map((v) => v.name));
      optimizer.applyGradients(grads);
      tf.dispose([losses, grads]);
    };
    const start = all.map((v) => v.clone());
    const plainOnly = tf.train.adam(0.05);
    for (let i = 0; i < 4; i++) plainStep(plainOnly);
    const expected = all.map((v) => Array.from(v.dataSync()));
    all.forEach((v, i) => v.assign(start[i]));
    const alternating = tf.train.adam(0.05);
    for (let i = 0; i < 4; i++) (i % 2 === 0 ? plainStep : jdStep)(alternating);
    all.forEach((v, i) =>
      Array.from(v.dataSync()).forEach((value, k) => expect(value).toBeCloseTo(expected[i][k], 5)),
    );
    tf.dispose([...all, ...start, x]);
    plainOnly.dispose();
    alternating.dispose();
  });
});

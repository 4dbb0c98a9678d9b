/** The model of the memory specs, shared by the two files (split to keep each one fast). */
import * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../../lib/aggregation/aggregator_bases';
import { gradsMap, record, zeroGrad } from '../../lib/autograd';
import { jacToGrad, mtlBackward, mtlGrads } from '../../lib/autojac';

/** A tf.layers trunk 6 → 5 (ReLU) with `m` linear heads 5 → 1 and MSE losses. */
export function layersModel(m: number) {
  const dense = (units: number, seed: number, extra: object = {}) =>
    tf.layers.dense({
      units,
      kernelInitializer: tf.initializers.glorotNormal({ seed }),
      ...extra,
    });
  const trunk = tf.sequential({ layers: [dense(5, 1, { inputShape: [6], activation: 'relu' })] });
  const heads = Array.from({ length: m }, (_, i) =>
    tf.sequential({ layers: [dense(1, 10 + i, { inputShape: [5] })] }),
  );
  const x = tf.randomNormal([12, 6], 0, 1, 'float32', 4);
  const ys = heads.map((_, i) => tf.randomNormal([12, 1], 0, 1, 'float32', 20 + i));
  const fn = () => {
    const features = trunk.apply(x) as tf.Tensor;
    const losses = heads.map(
      (head, i) =>
        tf.losses.meanSquaredError(ys[i], head.apply(features) as tf.Tensor) as tf.Scalar,
    );
    return { features, losses };
  };
  const trunkVariables = trunk.trainableWeights.map((w) => w.read() as tf.Variable);
  const dispose = () => {
    tf.dispose([x, ...ys]);
    [trunk, ...heads].forEach((model) => model.dispose());
  };
  return { fn, trunkVariables, dispose };
}

/**
 * Runs `steps` training steps through each autojac path (mtlGrads, and record + mtlBackward +
 * jacToGrad) after one warm-up step, and asserts `tf.memory().numTensors` did not change.
 */
export function expectFlatMemory(make: () => Aggregator, m: number, steps: number): void {
  const model = layersModel(m);
  const optimizer = tf.train.sgd(0.01);
  const aggregator = make();
  const paths = [
    () => {
      const { losses, grads } = mtlGrads(model.fn, { aggregator });
      optimizer.applyGradients(grads);
      tf.dispose([losses, grads]);
    },
    () => {
      const { features, losses } = record(model.fn);
      mtlBackward({ losses, features });
      jacToGrad(model.trunkVariables, aggregator);
      optimizer.applyGradients(gradsMap());
      zeroGrad();
      tf.dispose([features, losses]);
    },
  ];
  for (const step of paths) {
    step(); // the optimizer and stateful aggregators allocate their state on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < steps; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  }
  optimizer.dispose();
  model.dispose();
}

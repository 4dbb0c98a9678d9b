/**
 * Eight steps of TorchJD's README example (shared 10→5→3 ReLU trunk, two linear heads, MSE, SGD
 * 0.1, UPGrad), against an independent computation of the same steps: per-task gradients from
 * tf.variableGrads, and UPGrad's two-row QPs solved in closed form on TorchJD's normalized and
 * regularized Gramian (no quadprog).
 */
import * as tf from '@tensorflow/tfjs';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { gradsMap, record, zeroGrad } from '../../lib/autograd';
import { jacToGrad, mtlBackward } from '../../lib/autojac';

interface Params {
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
  h1w: tf.Variable;
  h1b: tf.Variable;
  h2w: tf.Variable;
  h2b: tf.Variable;
}

function initialParams(): Params {
  const v = (shape: number[], seed: number) =>
    tf.variable(tf.randomUniform(shape, -0.5, 0.5, 'float32', seed));
  return tf.tidy(() => ({
    w1: v([10, 5], 1),
    b1: v([5], 2),
    w2: v([5, 3], 3),
    b2: v([3], 4),
    h1w: v([3, 1], 5),
    h1b: v([1], 6),
    h2w: v([3, 1], 7),
    h2b: v([1], 8),
  }));
}

const trunkOf = (p: Params) => [p.w1, p.b1, p.w2, p.b2];

function forward(p: Params, x: tf.Tensor, y1: tf.Tensor, y2: tf.Tensor) {
  const h = tf.relu(tf.add(tf.matMul(x, p.w1), p.b1));
  const features = tf.relu(tf.add(tf.matMul(h, p.w2), p.b2));
  const l1 = tf.losses.meanSquaredError(y1, tf.add(tf.matMul(features, p.h1w), p.h1b)) as tf.Scalar;
  const l2 = tf.losses.meanSquaredError(y2, tf.add(tf.matMul(features, p.h2w), p.h2b)) as tf.Scalar;
  return { features, l1, l2 };
}

/** UPGrad weights for m = 2 in closed form (see the derivation in the comment). */
function upgradWeightsForTwo(g11: number, g12: number, g22: number): [number, number] {
  // TorchJD: G ← G / trace(G) + 1e-4·I. Row 1 solves min vᵀGv s.t. v ≥ (½, 0): the first
  // constraint is active and v₂ = max(0, −G₁₂·½ / G₂₂) (KKT holds since G is positive definite).
  // A trace below normEps = 1e-4 makes TorchJD treat the Gramian as zero.
  const trace = g11 + g22;
  const scale = trace < 1e-4 ? 0 : 1 / trace;
  const a = g11 * scale + 1e-4;
  const b = g12 * scale;
  const c = g22 * scale + 1e-4;
  const row1 = [0.5, Math.max(0, (-b * 0.5) / c)];
  const row2 = [Math.max(0, (-b * 0.5) / a), 0.5];
  return [row1[0] + row2[0], row1[1] + row2[1]];
}

describe('a faithful port of the TorchJD README example', () => {
  it('reproduces, to 1e-4 after 8 steps, an independent computation of the same training', () => {
    const ours = initialParams();
    const reference = initialParams();
    const batches = Array.from({ length: 8 }, (_, i) => ({
      x: tf.randomNormal([16, 10], 0, 1, 'float32', 100 + i),
      y1: tf.randomNormal([16, 1], 0, 1, 'float32', 200 + i),
      y2: tf.randomNormal([16, 1], 0, 1, 'float32', 300 + i),
    }));
    const optimizer = tf.train.sgd(0.1);
    const referenceOptimizer = tf.train.sgd(0.1);

    for (const { x, y1, y2 } of batches) {
      const { features, l1, l2 } = record(() => forward(ours, x, y1, y2));
      mtlBackward({ losses: [l1, l2], features });
      jacToGrad(trunkOf(ours), new UPGrad());
      optimizer.applyGradients(gradsMap());
      zeroGrad();
      tf.dispose([features, l1, l2]);

      tf.tidy(() => {
        const trunk = trunkOf(reference);
        const g1 = tf.variableGrads(() => forward(reference, x, y1, y2).l1).grads;
        const g2 = tf.variableGrads(() => forward(reference, x, y1, y2).l2).grads;
        const flat = (g: tf.NamedTensorMap) => tf.concat(trunk.map((v) => g[v.name].reshape([-1])));
        const [j1, j2] = [flat(g1), flat(g2)];
        const dot = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, b)).dataSync()[0];
        const [w1, w2] = upgradWeightsForTwo(dot(j1, j1), dot(j1, j2), dot(j2, j2));
        const update: tf.NamedTensorMap = {};
        for (const v of trunk)
          update[v.name] = tf.add(tf.mul(w1, g1[v.name]), tf.mul(w2, g2[v.name]));
        update[reference.h1w.name] = g1[reference.h1w.name];
        update[reference.h1b.name] = g1[reference.h1b.name];
        update[reference.h2w.name] = g2[reference.h2w.name];
        update[reference.h2b.name] = g2[reference.h2b.name];
        referenceOptimizer.applyGradients(update);
      });
    }

    for (const key of Object.keys(ours) as (keyof Params)[]) {
      const difference = tf.tidy(
        () => tf.max(tf.abs(tf.sub(ours[key], reference[key]))).dataSync()[0],
      );
      expect(difference).toBeLessThan(1e-4);
    }
    tf.dispose([...Object.values(ours), ...Object.values(reference)]);
    tf.dispose(batches.flatMap((b) => [b.x, b.y1, b.y2]));
    optimizer.dispose();
    referenceOptimizer.dispose();
  });
});

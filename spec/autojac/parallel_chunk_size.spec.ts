/**
 * `parallelChunkSize` (TorchJD's `parallel_chunk_size`) on every autojac entry point: the rows go
 * through the graph 1, 2 or all at a time, and the result is the same; bad values are rejected.
 */
import * as tf from '@tensorflow/tfjs';
import { PCGrad } from '../../lib/aggregation/pcgrad';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { fallbackCounts, gradOf, jacOf, record, zeroGrad } from '../../lib/autograd';
import { backward, jac, mtlBackward, mtlGrads } from '../../lib/autojac';
import { InvalidArgumentError } from '../../lib/errors';

const M = 3;

/** A two-layer trunk (matmul, bias, relu), M linear heads with MSE losses, batch 5. */
function model() {
  const vars = tf.tidy(() => ({
    w1: tf.variable(tf.randomNormal([4, 6], 0, 0.7, 'float32', 1)),
    b1: tf.variable(tf.randomNormal([6], 0, 0.1, 'float32', 2)),
    w2: tf.variable(tf.randomNormal([6, 5], 0, 0.7, 'float32', 3)),
    heads: Array.from({ length: M }, (_, i) =>
      tf.variable(tf.randomNormal([5, 1], 0, 0.7, 'float32', 10 + i)),
    ),
    x: tf.randomNormal([5, 4], 0, 1, 'float32', 4),
    y: tf.randomNormal([5, 1], 0, 1, 'float32', 5),
  }));
  const forward = () => {
    const h = tf.relu(tf.add(tf.matMul(vars.x, vars.w1), vars.b1));
    const features = tf.tanh(tf.matMul(h, vars.w2));
    const losses = vars.heads.map(
      (w, i) =>
        tf.mean(tf.square(tf.sub(tf.mul(tf.matMul(features, w), i + 1), vars.y))) as tf.Scalar,
    );
    return { features, losses };
  };
  const shared = [vars.w1, vars.b1, vars.w2];
  const dispose = () => tf.dispose([shared, vars.heads, vars.x, vars.y]);
  return { ...vars, shared, forward, dispose };
}

/** Row i: the gradient of loss i with respect to each shared variable, by tf.variableGrads. */
function referenceJacobians(net: ReturnType<typeof model>): tf.Tensor[] {
  return tf.tidy(() => {
    const rows = net.heads.map((_, i) => {
      const { value, grads } = tf.variableGrads(() => net.forward().losses[i], net.shared);
      value.dispose();
      return net.shared.map((v) => grads[v.name]);
    });
    return net.shared.map((_, k) => tf.stack(rows.map((r) => r[k])));
  });
}

function expectAllClose(actual: tf.Tensor, expected: tf.Tensor, tolerance = 1e-5): void {
  expect(actual.shape).toEqual(expected.shape);
  const error = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
  expect(error).toBeLessThan(tolerance);
}

const CHUNKS = [undefined, 1, 2, M];

afterEach(() => zeroGrad());

describe('parallelChunkSize', () => {
  it.each(CHUNKS)('jac with chunks of %s rows matches tf.variableGrads', (chunk) => {
    const net = model();
    const before = tf.memory().numTensors;
    const expected = referenceJacobians(net);
    const { features, losses } = record(net.forward);
    const jacobians = jac(losses, net.shared, { parallelChunkSize: chunk });
    jacobians.forEach((j, k) => expectAllClose(j, expected[k]));
    tf.dispose([jacobians, expected, features, losses]);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it.each(CHUNKS)('autojac.backward with chunks of %s rows fills .jac', (chunk) => {
    const net = model();
    const expected = referenceJacobians(net);
    const { features, losses } = record(net.forward);
    backward(losses, { inputs: net.shared, parallelChunkSize: chunk });
    net.shared.forEach((v, k) => expectAllClose(jacOf(v)!, expected[k]));
    tf.dispose([expected, features, losses]);
    net.dispose();
  });

  it.each(CHUNKS)('mtlBackward with chunks of %s rows', (chunk) => {
    const net = model();
    const expected = referenceJacobians(net);
    const { features, losses } = record(net.forward);
    mtlBackward({ losses, features, parallelChunkSize: chunk });
    net.shared.forEach((v, k) => expectAllClose(jacOf(v)!, expected[k]));
    net.heads.forEach((w) => expect(gradOf(w)).not.toBeNull());
    tf.dispose([expected, features, losses]);
    net.dispose();
  });

  it('mtlGrads gives the same gradients whatever the chunk size (Gramian and Jacobian paths)', () => {
    const net = model();
    for (const aggregator of [new UPGrad(), new PCGrad()]) {
      const results = CHUNKS.map((chunk) => {
        const { losses, grads } = mtlGrads(net.forward, { aggregator, parallelChunkSize: chunk });
        tf.dispose(losses);
        return grads;
      });
      for (const grads of results.slice(1)) {
        for (const name of Object.keys(results[0])) expectAllClose(grads[name], results[0][name]);
      }
      results.forEach((grads) => tf.dispose(grads));
    }
    net.dispose();
  });

  it('every kernel of an MLP and of tf.layers Dense layers has a batching rule (no fallback)', () => {
    const net = model();
    const trunk = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const before = [...fallbackCounts.values()].reduce((a, b) => a + b, 0);
    const { features, losses } = record(net.forward);
    tf.dispose(jac(losses, net.shared));
    const y = record(() => trunk.apply(net.x) as tf.Tensor);
    tf.dispose(
      jac(
        y,
        trunk.trainableWeights.map((w) => w.read()),
      ),
    );
    const { losses: again, grads } = mtlGrads(net.forward, { aggregator: new UPGrad() });
    expect([...fallbackCounts.values()].reduce((a, b) => a + b, 0)).toBe(before);
    tf.dispose([features, losses, y, again, grads]);
    trunk.dispose();
    net.dispose();
  });

  it('jac of non-scalar outputs whose rows straddle chunks', () => {
    const p = tf.variable(tf.tensor1d([1, 2, 3]));
    const before = tf.memory().numTensors;
    const c = tf.tensor1d([2, 3, 4]);
    const build = () => record(() => [tf.mul(p, c), tf.stack([tf.sum(tf.square(p)), tf.prod(p)])]);
    const outputs = build();
    const [reference] = jac(outputs, [p], { parallelChunkSize: 1 });
    for (const chunk of [2, 4]) {
      const again = build();
      const [J] = jac(again, [p], { parallelChunkSize: chunk });
      expectAllClose(J, reference);
      tf.dispose([J, again]);
    }
    expect(reference.arraySync()).toEqual([
      [2, 0, 0],
      [0, 3, 0],
      [0, 0, 4],
      [2, 4, 6],
      [6, 3, 2],
    ]);
    tf.dispose([reference, outputs, c]);
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('jac with jacOutputs in chunks', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const seeds = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const results = [1, 2, undefined].map((chunk) => {
      const y = record(() => tf.square(p));
      const [J] = jac(y, [p], { jacOutputs: seeds, parallelChunkSize: chunk });
      y.dispose();
      return J;
    });
    results.forEach((J) =>
      expect(J.arraySync()).toEqual([
        [2, 0],
        [0, 4],
        [2, 4],
      ]),
    );
    tf.dispose([results, seeds, p]);
  });

  it.each([0, -1, 1.5, NaN, '2'])('rejects parallelChunkSize %s on every entry point', (bad) => {
    const net = model();
    const size = bad as unknown as number;
    const { features, losses } = record(net.forward);
    const calls = [
      () => jac(losses, net.shared, { parallelChunkSize: size, retainGraph: true }),
      () => backward(losses, { parallelChunkSize: size, retainGraph: true }),
      () => mtlBackward({ losses, features, parallelChunkSize: size, retainGraph: true }),
      () => mtlGrads(net.forward, { aggregator: new UPGrad(), parallelChunkSize: size }),
    ];
    for (const call of calls) {
      expect(call).toThrow(InvalidArgumentError);
      expect(call).toThrow(/parallelChunkSize/);
    }
    tf.dispose([features, losses]);
    net.dispose();
  });

  it('keeps tf.memory().numTensors flat over steps with chunks of 2', () => {
    const net = model();
    const optimizer = tf.train.sgd(0.01);
    const aggregator = new UPGrad();
    const step = () => {
      const { losses, grads } = mtlGrads(net.forward, { aggregator, parallelChunkSize: 2 });
      optimizer.applyGradients(grads);
      tf.dispose([losses, grads]);
      const { features, losses: again } = record(net.forward);
      tf.dispose(jac(again, net.shared, { parallelChunkSize: 2 }));
      tf.dispose([features, again]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    net.dispose();
  });
});

import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';
import { DWA, FAMO } from '../../lib/scalarization';
import {
  expectAllClose,
  expectHooksWork,
  expectMemoryFlat,
  scalarize,
  valueAndGrad,
} from './_checks';

const softmax = (x: number[]) => {
  const exps = x.map(Math.exp); // small inputs here: no shift needed
  const total = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / total);
};
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('DWA', () => {
  // The weights TorchJD's tests expect after epoch averages [1, 1] then [1, 4]: 2 softmax([1, 4] / 2).
  const expectedWeights = softmax([0.5, 2]).map((w) => 2 * w);

  it('uses uniform weights during the first two epochs', () => {
    const dwa = new DWA({ temperature: 2 });
    expect(scalarize(dwa, [1, 3])).toBe(4);
    dwa.step();
    expect(scalarize(dwa, [2, 5])).toBe(7);
    dwa.step();
    expect(dwa.rememberedEpochs).toBe(2);
  });

  it('weights by the ratio of the two previous epoch averages (TorchJD cases)', () => {
    const cases: number[][][][] = [
      [[[1, 1]], [[1, 4]]], // one batch per epoch
      [
        [
          [2, 2],
          [0, 0],
        ],
        [
          [2, 6],
          [0, 2],
        ],
      ], // averages over the epoch's batches
      [[[9, 9]], [[1, 1]], [[1, 4]]], // the oldest epoch is forgotten
      [[[-2, -2]], [[-2, -8]]], // consistently negative losses give the same ratios
    ];
    for (const epochs of cases) {
      const dwa = new DWA({ temperature: 2 });
      for (const batches of epochs) {
        for (const batch of batches) scalarize(dwa, batch);
        dwa.step();
      }
      const { value, grad } = valueAndGrad(dwa, [3, 5]);
      expectAllClose([value], [dot(expectedWeights, [3, 5])], 1e-6, 1e-6);
      expectAllClose(grad, expectedWeights, 1e-6, 1e-6); // the weights get no gradient
    }
  });

  it('follows an independent epoch-by-epoch computation over several epochs', () => {
    // Each epoch: 3 batches of 3 losses; the reference keeps every batch and recomputes the
    // weights from scratch as K softmax((mean of epoch t−1 / mean of epoch t−2) / T).
    const T = 1.5;
    const dwa = new DWA({ temperature: T });
    const epochs: number[][][] = [];
    for (let epoch = 0; epoch < 6; epoch++) {
      const batches = [0, 1, 2].map((b) =>
        [0, 1, 2].map((k) => 1 + Math.sin(epoch * 7 + b * 3 + k) ** 2),
      );
      const means = (e: number) =>
        [0, 1, 2].map((k) => epochs[e].reduce((s, batch) => s + batch[k], 0) / 3);
      const weights =
        epoch < 2
          ? [1, 1, 1]
          : softmax(means(epoch - 1).map((m, k) => m / means(epoch - 2)[k] / T)).map((w) => 3 * w);
      for (const batch of batches) {
        expectAllClose([scalarize(dwa, batch)], [dot(weights, batch)], 1e-5, 1e-5);
      }
      // The history is read back from float32 tensors, hence the tolerance.
      expectAllClose(dwa.currentWeights(3), weights, 1e-6, 1e-6);
      epochs.push(batches);
      dwa.step();
    }
  });

  it('weights sum to the number of losses, also for a matrix of losses', () => {
    const dwa = new DWA();
    scalarize(dwa, [1, 2, 3, 4], [2, 2]);
    dwa.step();
    scalarize(dwa, [2, 1, 1, 8], [2, 2]);
    dwa.step();
    expectAllClose([scalarize(dwa, [1, 1, 1, 1], [2, 2])], [4], 1e-6, 1e-6);
  });

  it('step() without losses does nothing and reset() forgets everything', () => {
    const dwa = new DWA();
    dwa.step();
    expect(dwa.rememberedEpochs).toBe(0);
    scalarize(dwa, [1, 2]);
    dwa.step();
    scalarize(dwa, [3, 1]);
    dwa.step();
    // Non-uniform weights now (they sum to 2 but differ), so [1, 3] no longer gives 4.
    expect(Math.abs(scalarize(dwa, [1, 3]) - 4)).toBeGreaterThan(0.1);
    dwa.reset();
    expect(dwa.rememberedEpochs).toBe(0);
    expect(scalarize(dwa, [1, 2, 3])).toBe(6); // a new shape is fine after reset()
  });

  it('rejects bad temperatures, shape changes and zero epoch averages', () => {
    for (const temperature of [0, -1, NaN]) {
      expect(() => new DWA({ temperature })).toThrow(/`temperature`/);
    }
    expect(new DWA().temperature).toBe(2);
    const within = new DWA();
    scalarize(within, [1, 2]);
    expect(() => scalarize(within, [1, 2, 3])).toThrow(InvalidArgumentError);
    expect(() => scalarize(within, [1, 2, 3])).toThrow(/`losses`.*within an epoch/);
    const between = new DWA();
    for (const batch of [
      [1, 2],
      [2, 1],
    ]) {
      scalarize(between, batch);
      between.step();
    }
    expect(() => scalarize(between, [1, 2, 3])).toThrow(/`losses`.*reset\(\)/);
    const zero = new DWA();
    for (const batch of [
      [0, 1],
      [1, 1],
    ]) {
      scalarize(zero, batch);
      zero.step();
    }
    expect(() => scalarize(zero, [1, 1])).toThrow(NumericalError);
  });

  it('runs hooks and keeps memory flat', () => {
    const dwa = new DWA();
    expectHooksWork(dwa, [1, 2, 3]);
    const x = tf.tensor1d([1, 2, 3]);
    expectMemoryFlat(() => {
      tf.tidy(() => {
        tf.grad((t: tf.Tensor) => dwa.apply(t))(x);
      });
      dwa.apply(x).dispose();
      dwa.step();
    });
    x.dispose();
  });
});

/** FAMO's scalarization in float64: c Σ zᵢ log(ℓᵢ − bᵢ + ε), with c = 1 / Σ zᵢ / (ℓᵢ − bᵢ + ε). */
function famoValue(z: number[], losses: number[], bounds = losses.map(() => 0)) {
  const shifted = losses.map((l, i) => l - bounds[i] + 1e-8);
  const c = 1 / shifted.reduce((s, v, i) => s + z[i] / v, 0);
  return { value: c * dot(z, shifted.map(Math.log)), grad: shifted.map((v, i) => (c * z[i]) / v) };
}

/**
 * FAMO's logit update written independently: the full softmax Jacobian diag(z) − z zᵀ applied
 * to δ, then Adam as in Kingma and Ba's Algorithm 1 (bias-corrected moments), with L2 weight decay
 * added to the gradient as torch.optim.Adam does.
 */
class FamoReference {
  w: number[];
  private m: number[];
  private v: number[];
  private t = 0;
  constructor(
    size: number,
    private lr: number,
    private weightDecay: number,
  ) {
    this.w = new Array(size).fill(0);
    this.m = new Array(size).fill(0);
    this.v = new Array(size).fill(0);
  }
  update(before: number[], after: number[]) {
    const delta = before.map((b, i) => Math.log(b + 1e-8) - Math.log(after[i] + 1e-8));
    const z = softmax(this.w);
    const jacobian = z.map((zi, i) => z.map((zj, j) => (i === j ? zi : 0) - zi * zj));
    const grad = z.map((_, j) => jacobian.reduce((s, row, i) => s + row[j] * delta[i], 0));
    this.t++;
    const g = grad.map((gi, i) => gi + this.weightDecay * this.w[i]);
    this.m = this.m.map((mi, i) => 0.9 * mi + 0.1 * g[i]);
    this.v = this.v.map((vi, i) => 0.999 * vi + 0.001 * g[i] * g[i]);
    const mHat = this.m.map((mi) => mi / (1 - 0.9 ** this.t));
    const vHat = this.v.map((vi) => vi / (1 - 0.999 ** this.t));
    this.w = this.w.map((wi, i) => wi - (this.lr * mHat[i]) / (Math.sqrt(vHat[i]) + 1e-8));
  }
}

describe('FAMO', () => {
  it('gives the value and gradient of the formula with uniform task weights at start', () => {
    // TorchJD test_value and test_value_gradient_matches_formula.
    const expected = famoValue([0.5, 0.5], [1, 2]);
    const { value, grad } = valueAndGrad(new FAMO({ shape: 2 }), [1, 2]);
    expectAllClose([value], [expected.value], 1e-6, 1e-6);
    expectAllClose(grad, expected.grad, 1e-6, 1e-6);
    // By hand: c = 1 / (0.5 + 0.25) = 4/3, value = 4/3 · 0.5 · log 2, gradient [2/3, 1/3].
    expectAllClose([value], [(2 / 3) * Math.log(2)], 1e-6, 1e-6);
    expectAllClose(grad, [2 / 3, 1 / 3], 1e-6, 1e-6);
    expect(new FAMO({ shape: 2 }).toString()).toBe('FAMO');
  });

  it('subtracts minLosses and accepts an int or array shape, matrices included', () => {
    const bounded = new FAMO({ shape: 2, minLosses: [1, 1] });
    expect(bounded.minLosses).toEqual([1, 1]);
    expect(new FAMO({ shape: 2 }).minLosses).toEqual([0, 0]);
    expectAllClose([scalarize(bounded, [2, 3])], [famoValue([0.5, 0.5], [2, 3], [1, 1]).value]);
    expect(scalarize(new FAMO({ shape: [3] }), [1, 2, 4])).toBe(
      scalarize(new FAMO({ shape: 3 }), [1, 2, 4]),
    );
    const losses = [1, 2, 3, 4];
    const matrix = valueAndGrad(new FAMO({ shape: [2, 2] }), losses, [2, 2]);
    const expected = famoValue([0.25, 0.25, 0.25, 0.25], losses);
    expectAllClose([matrix.value], [expected.value], 1e-6, 1e-6);
    expectAllClose(matrix.grad, expected.grad, 1e-6, 1e-6);
  });

  it('first update moves each logit by about lr against its loss-decrease rank', () => {
    // Adam's first step is lr · g / (|g| + ε) ≈ ±lr. δ = log(1/0.5), log(2/1.5): the first loss
    // fell faster, so its weight goes down (its logit's gradient zᵢ(δᵢ − z·δ) is positive).
    const famo = new FAMO({ shape: 2, weightDecay: 0 });
    scalarize(famo, [1, 2]);
    famo.update(tf.tensor1d([0.5, 1.5]));
    expectAllClose(famo.logits, [-0.025, 0.025], 1e-9, 1e-6);
    expect(famo.taskWeights[0]).toBeLessThan(0.5);
  });

  it('follows an independent step-by-step computation over a training run', () => {
    // A quadratic model trained with SGD on FAMO's scalarization, the logits updated after each
    // step; the reference recomputes the logits from the same before/after losses.
    const famo = new FAMO({ shape: 3, lr: 0.05, weightDecay: 1e-3 });
    const reference = new FamoReference(3, 0.05, 1e-3);
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    const targets = tf.tensor2d([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const lossesOf = () => tf.sum(tf.square(tf.sub(w, targets)), 1).add(0.1);
    const optimizer = tf.train.sgd(0.05);
    for (let step = 0; step < 8; step++) {
      const before = tf.tidy(() => Array.from(lossesOf().dataSync()));
      const z = softmax(reference.w);
      let value = 0;
      const { grads } = tf.variableGrads(() => {
        const out = famo.apply(lossesOf());
        value = out.dataSync()[0];
        return out;
      }, [w]);
      expectAllClose([value], [famoValue(z, before).value], 1e-5, 1e-5);
      optimizer.applyGradients(grads);
      tf.dispose(grads);
      const after = tf.tidy(lossesOf);
      famo.update(after);
      reference.update(before, Array.from(after.dataSync()));
      after.dispose();
      expectAllClose(famo.logits, reference.w, 1e-6, 1e-4);
    }
    expect(famo.logits.some((l) => Math.abs(l) > 0.05)).toBe(true);
    tf.dispose([w, targets]);
    optimizer.dispose();
  });

  it('update() compares with the last apply, and reset() forgets everything', () => {
    const famo = new FAMO({ shape: 2 });
    scalarize(famo, [5, 5]);
    scalarize(famo, [1, 4]);
    const same = tf.tensor1d([1, 4]);
    famo.update(same); // no change in the losses → zero gradient → Adam does not move
    expect(famo.logits).toEqual([0, 0]);
    famo.update(tf.tensor1d([0.5, 3]));
    expect(famo.logits).not.toEqual([0, 0]);
    famo.reset();
    expect(famo.logits).toEqual([0, 0]);
    expect(() => famo.update(same)).toThrow(/`newLosses`.*after/);
    same.dispose();
  });

  it('rejects bad options, shapes and losses at or below their bound, naming them', () => {
    expect(() => new FAMO({ shape: 2, lr: -1 })).toThrow(/`lr`/);
    expect(() => new FAMO({ shape: 2, weightDecay: -1 })).toThrow(/`weightDecay`/);
    expect(() => new FAMO({ shape: 2, minLosses: [0, 0, 0] })).toThrow(/`minLosses`/);
    expect(() => new FAMO({ shape: 0 })).toThrow(/`shape`/);
    expect(() => new FAMO({} as { shape: number })).toThrow(/`shape`/);
    const famo = new FAMO({ shape: 2 });
    for (const shape of [[4], [2, 1]]) {
      expect(() => scalarize(famo, tf.ones(shape))).toThrow(/`losses`.*\(2,\)/);
    }
    expect(() => scalarize(famo, [-1, 2])).toThrow(InvalidArgumentError);
    expect(() => scalarize(famo, [-1, 2])).toThrow(/`losses`.*above its bound/);
    expect(() => scalarize(new FAMO({ shape: 2, minLosses: [1, 1] }), [0.5, 2])).toThrow(
      /`losses`/,
    );
    scalarize(famo, [1, 2]);
    expect(() => famo.update(tf.tensor1d([1, 2, 3]))).toThrow(/`newLosses`/);
    expect(() => famo.update(tf.tensor1d([1, -2]))).toThrow(/`newLosses`/);
  });

  it('runs hooks and keeps memory flat over apply/update loops', () => {
    const famo = new FAMO({ shape: 3 });
    expectHooksWork(famo, [1, 2, 3]);
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.tensor1d([0.9, 2.1, 2.5]);
    expectMemoryFlat(() => {
      tf.tidy(() => {
        tf.grad((t: tf.Tensor) => famo.apply(t))(x);
      });
      famo.update(y);
    });
    tf.dispose([x, y]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../lib/errors';
import { COSMOS, PBI, STCH } from '../../lib/scalarization';
import {
  expectAllClose,
  expectHooksWork,
  expectMatchesReference,
  expectMemoryFlat,
  scalarize,
  valueAndGrad,
} from './_checks';

// Float64 reference formulas, written from the papers' definitions (no stabilization tricks).
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));
const stch = (mu: number, weights: number[], reference: number[]) => (x: number[]) =>
  mu * Math.log(x.reduce((s, v, i) => s + Math.exp((weights[i] * (v - reference[i])) / mu), 0));
const cosmos = (lambda: number, r: number[]) => (x: number[]) =>
  dot(r, x) - (lambda * dot(r, x)) / (norm(r) * norm(x));
const pbi = (theta: number, w: number[], reference: number[]) => (x: number[]) => {
  const f = x.map((v, i) => v - reference[i]);
  const unit = w.map((v) => v / norm(w));
  const d1 = dot(f, unit);
  const d2 = norm(f.map((v, i) => v - d1 * unit[i]));
  return d1 + theta * d2;
};

const losses = [0.7, 1.3, 0.4, 2.1, 1.0, 0.2];
const weights = [0.1, 0.3, 0.05, 0.25, 0.2, 0.1];
const reference = [0.1, -0.2, 0.0, 0.5, 0.3, -0.1];
const zeros = losses.map(() => 0);

describe('STCH', () => {
  it('gives TorchJD hand-computed values', () => {
    // Uniform weights, no reference: μ log(e⁰ + e⁰) = log 2.
    expectAllClose([scalarize(new STCH({ mu: 1 }), [0, 0])], [Math.log(2)], 1e-6, 1e-6);
    // Weights [1, 1] on [1, 1]: log(2e) = 1 + log 2; the reference [1, 1] brings it back to log 2.
    const weighted = new STCH({ mu: 1, weights: [1, 1] });
    expectAllClose([scalarize(weighted, [1, 1])], [1 + Math.log(2)], 1e-6, 1e-6);
    const shifted = new STCH({ mu: 1, weights: tf.tensor1d([1, 1]), reference: [1, 1] });
    expectAllClose([scalarize(shifted, [1, 1])], [Math.log(2)], 1e-6, 1e-6);
    expect(shifted.toString()).toBe('STCH');
  });

  it('matches the float64 formula and its finite differences', () => {
    for (const mu of [0.1, 0.5, 1, 3]) {
      const uniform = losses.map(() => 1 / losses.length);
      expectMatchesReference(new STCH({ mu }), stch(mu, uniform, zeros), losses);
      const full = new STCH({ mu, weights, reference });
      expectMatchesReference(full, stch(mu, weights, reference), losses);
    }
  });

  it('works on a matrix of losses, elementwise then over all entries', () => {
    const options = {
      mu: 0.5,
      weights: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      reference: [
        [0, 1, 0],
        [1, 0, 1],
      ],
    };
    const f = stch(0.5, [1, 2, 3, 4, 5, 6], [0, 1, 0, 1, 0, 1]);
    expectMatchesReference(new STCH(options), f, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3]);
  });

  it('approaches the weighted maximum as μ → 0 and never overflows', () => {
    // max of uniform-weighted [1e30, 2e30, 3e30] is 1e30; the naive formula would give Infinity.
    const huge = scalarize(new STCH({ mu: 1e-10 }), [1e30, 2e30, 3e30]);
    expectAllClose([huge], [1e30], 0, 1e-5);
    const { value, grad } = valueAndGrad(new STCH({ mu: 1e-3, weights: [1, 1] }), [1, 3]);
    expectAllClose([value], [3], 1e-5, 0);
    expectAllClose(grad, [0, 1], 1e-6, 0); // the gradient of the maximum
  });

  it('rejects bad options and mismatched shapes, naming them', () => {
    for (const mu of [0, -1, NaN]) expect(() => new STCH({ mu })).toThrow(/`mu`/);
    expect(() => new STCH({} as { mu: number })).toThrow(/`mu`/);
    expect(() => new STCH({ mu: 1, weights: [] })).toThrow(/`weights`/);
    const wrongWeights = new STCH({ mu: 1, weights: [1, 1, 1] });
    expect(() => scalarize(wrongWeights, [1, 1])).toThrow(InvalidArgumentError);
    expect(() => scalarize(wrongWeights, [1, 1])).toThrow(/`weights`/);
    const wrongReference = new STCH({ mu: 1, reference: [1, 1, 1] });
    expect(() => scalarize(wrongReference, [1, 1])).toThrow(/`reference`/);
  });
});

describe('COSMOS', () => {
  it('gives TorchJD hand-computed values', () => {
    // Aligned: weighted sum 1 minus λ·cos = 1 · 1 → 0.
    expectAllClose([scalarize(new COSMOS({ lambda: 1, weights: [0.5, 0.5] }), [1, 1])], [0], 1e-6);
    // λ = 0 is the weighted sum: 2·3 + 1·4 = 10, and (1 + 2 + 4) / 3.
    expect(scalarize(new COSMOS({ lambda: 0, weights: [2, 1] }), [3, 4])).toBe(10);
    const third = new COSMOS({ lambda: 0, weights: [1 / 3, 1 / 3, 1 / 3] });
    expectAllClose([scalarize(third, [1, 2, 4])], [7 / 3], 1e-6, 1e-6);
    // All-zero losses: the cosine is taken as 0, not NaN, and so is its gradient.
    const { value, grad } = valueAndGrad(new COSMOS({ lambda: 1, weights: [0.5, 0.5] }), [0, 0]);
    expect(value).toBe(0);
    expect(grad.every(Number.isFinite)).toBe(true);
    expect(new COSMOS({ lambda: 1, weights: [1] }).toString()).toBe('COSMOS');
  });

  it('matches the float64 formula and its finite differences', () => {
    for (const lambda of [0, 0.5, 2, 8]) {
      expectMatchesReference(new COSMOS({ lambda, weights }), cosmos(lambda, weights), losses);
    }
    const matrixWeights = tf.tensor2d([
      [0.2, 0.1],
      [0.3, 0.4],
    ]);
    const f = cosmos(2, [0.2, 0.1, 0.3, 0.4]);
    expectMatchesReference(
      new COSMOS({ lambda: 2, weights: matrixWeights }),
      f,
      [1, 2, 3, 4],
      [2, 2],
    );
    matrixWeights.dispose();
  });

  it('takes new weights between calls (a fresh preference each step)', () => {
    const s = new COSMOS({ lambda: 1, weights: [1, 0] });
    s.weights = [0, 1];
    expect(s.weights).toEqual([0, 1]);
    // r = [0, 1], L = [3, 4]: 4 − 4/5.
    expectAllClose([scalarize(s, [3, 4])], [4 - 0.8], 1e-6, 1e-6);
    expect(() => (s.weights = [NaN, 1])).toThrow(/`weights`/);
  });

  it('rejects bad options and mismatched shapes, naming them', () => {
    for (const lambda of [-1, -0.5, Infinity]) {
      expect(() => new COSMOS({ lambda, weights: [0.5, 0.5] })).toThrow(/`lambda`/);
    }
    const s = new COSMOS({ lambda: 1, weights: [1, 1, 1] });
    expect(() => scalarize(s, [1, 1])).toThrow(InvalidArgumentError);
    expect(() => scalarize(s, [1, 1])).toThrow(/`weights`.*\(3,\).*\(2,\)/);
  });
});

describe('PBI', () => {
  it('gives TorchJD hand-computed values', () => {
    // Direction [1, 1]/√2; for [2, 0]: d₁ = √2, perpendicular [1, −1] so d₂ = √2.
    expectAllClose([scalarize(new PBI({ theta: 1, weights: [1, 1] }), [2, 0])], [2 * Math.SQRT2]);
    expectAllClose([scalarize(new PBI({ theta: 0, weights: [1, 1] }), [2, 0])], [Math.SQRT2]);
    // Subtracting the reference [1, 1] from [3, 1] gives [2, 0] again.
    const shifted = new PBI({ theta: 1, weights: [1, 1], reference: [1, 1] });
    expectAllClose([scalarize(shifted, [3, 1])], [2 * Math.SQRT2]);
    expect(shifted.toString()).toBe('PBI');
  });

  it('matches the float64 formula and its finite differences', () => {
    for (const theta of [0, 1, 5]) {
      expectMatchesReference(new PBI({ theta, weights }), pbi(theta, weights, zeros), losses);
      const full = new PBI({ theta, weights, reference });
      expectMatchesReference(full, pbi(theta, weights, reference), losses);
    }
    const f = pbi(5, [1, 2, 3, 4], zeros);
    const matrix = new PBI({
      theta: 5,
      weights: [
        [1, 2],
        [3, 4],
      ],
    });
    expectMatchesReference(matrix, f, [0.5, 2, 1, 0.3], [2, 2]);
  });

  it('stays finite, value and gradient, on the preference ray', () => {
    // The losses equal the weights, so d₂ = 0 where the norm's derivative is undefined.
    const { value, grad } = valueAndGrad(new PBI({ theta: 5, weights: [1, 2] }), [1, 2]);
    expectAllClose([value], [Math.sqrt(5)], 1e-5, 1e-5);
    expect(grad.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad options and mismatched shapes, naming them', () => {
    for (const theta of [-1, -0.5]) {
      expect(() => new PBI({ theta, weights: [0.5, 0.5] })).toThrow(/`theta`/);
    }
    expect(() => new PBI({ theta: 1, weights: [0, 0] })).toThrow(/`weights`.*nonzero/);
    const wrongWeights = new PBI({ theta: 5, weights: [1, 1, 1] });
    expect(() => scalarize(wrongWeights, [1, 1])).toThrow(/`weights`/);
    const wrongReference = new PBI({ theta: 5, weights: [1, 1], reference: [0, 0, 0] });
    expect(() => scalarize(wrongReference, [1, 1])).toThrow(/`reference`/);
  });
});

describe('every preference-based scalarizer', () => {
  const all = () => [
    new STCH({ mu: 0.5, weights: [1, 2, 3], reference: [0, 0.1, 0.2] }),
    new COSMOS({ lambda: 1, weights: [0.2, 0.3, 0.5] }),
    new PBI({ theta: 5, weights: [0.2, 0.3, 0.5], reference: [0, 0.1, 0.2] }),
  ];

  it('is permutation invariant with uniform weights and no reference', () => {
    const uniform = losses.map(() => 1 / losses.length);
    const permuted = [losses[3], losses[0], losses[5], losses[1], losses[4], losses[2]];
    for (const s of [
      new STCH({ mu: 1 }),
      new COSMOS({ lambda: 1, weights: uniform }),
      new PBI({ theta: 5, weights: uniform }),
    ]) {
      expectAllClose([scalarize(s, permuted)], [scalarize(s, losses)], 1e-6, 1e-5);
    }
  });

  it('rejects empty losses, runs hooks and keeps memory flat', () => {
    const x = tf.tensor1d([1, 2, 3]);
    for (const s of all()) {
      expect(() => s.apply(tf.tensor1d([]))).toThrow(/`losses`/);
      expectHooksWork(s, [1, 2, 3]);
      expectMemoryFlat(() => {
        s.apply(x).dispose();
        tf.tidy(() => {
          tf.grad((t: tf.Tensor) => s.apply(t))(x);
        });
      });
    }
    x.dispose();
  });
});

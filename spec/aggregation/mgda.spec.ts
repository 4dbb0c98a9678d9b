import * as tf from '@tensorflow/tfjs';
import { MGDA, MGDAWeighting } from '../../lib/aggregation/mgda';
import { InvalidArgumentError } from '../../lib/errors';
import { projectOntoSimplex } from '../../lib/linalg/simplex';
import { fixtures, randomMatrix, type Rows } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
  assertNonConflicting,
  assertPermutationInvariant,
} from './_properties';

const { typical, scaled } = fixtures();

const gramianOf = (rows: Rows) =>
  rows.map((a) => rows.map((b) => a.reduce((s, x, k) => s + x * b[k], 0)));
const quadratic = (G: Rows, a: number[]) =>
  G.reduce((s, row, i) => s + a[i] * row.reduce((t, g, j) => t + g * a[j], 0), 0);

function mgdaWeights(weighting: MGDAWeighting, gramian: Rows): number[] {
  return tf.tidy(() => Array.from(weighting.apply(tf.tensor2d(gramian)).dataSync()));
}

describe('MGDA', () => {
  it('reaches the minimum-norm point of the segment between two rows in one step', () => {
    // By hand: G = [[18, -22], [-22, 38]], α₀ = [½, ½], Gα₀ = [-2, 8] so t = 0; a = -2,
    // b = α₀ᵀGα₀ = 3, c = 18, γ = (b − a)/(b + c − 2a) = 5/25 = 0.2, α₁ = [0.6, 0.4], which
    // minimizes ‖α g₁ + (1 − α) g₂‖ (derivative 2·(50α − 30) = 0): the output is [0, 1, 1].
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    const weights = mgdaWeights(new MGDAWeighting({ maxIters: 1 }), gramianOf(rows));
    expect(weights[0]).toBeCloseTo(0.6, 6);
    expect(weights[1]).toBeCloseTo(0.4, 6);
    const out = aggregate(new MGDA(), rows);
    [0, 1, 1].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 5));
  });

  it.each([
    [3, 7],
    [5, 4],
    [8, 30],
  ])('matches projected gradient descent on the simplex (m=%i, n=%i)', (m, n) => {
    // A different algorithm: α ← P_Δ(α − η Gα) with η = 1/trace(G) ≤ 1/λ_max, run to convergence.
    const G = gramianOf(randomMatrix(m, n, 10 * m + n));
    const trace = G.reduce((s, row, i) => s + row[i], 0);
    let alpha = new Array<number>(m).fill(1 / m);
    for (let k = 0; k < 20000; k++) {
      const gradient = G.map((row) => row.reduce((s, g, j) => s + g * alpha[j], 0));
      alpha = projectOntoSimplex(alpha.map((a, i) => a - gradient[i] / trace));
    }
    const weights = mgdaWeights(new MGDAWeighting({ epsilon: 1e-7, maxIters: 100000 }), G);
    const optimum = quadratic(G, alpha);
    // float32 Gramian upload bounds how close the objective values can be.
    expect(Math.abs(quadratic(G, weights) - optimum)).toBeLessThan(1e-4 * trace);
  });

  it.each([
    [2, 14],
    [9, 37],
    [32, 114],
  ])('satisfies the KKT conditions of min αᵀGα on the simplex (%i × %i)', (m, n) => {
    const G = gramianOf(randomMatrix(m, n, m * n));
    const weights = mgdaWeights(new MGDAWeighting({ epsilon: 1e-5, maxIters: 1000 }), G);
    const direction = G.map((row) => row.reduce((s, g, j) => s + g * weights[j], 0));
    const lambda = -weights.reduce((s, w, i) => s + w * direction[i], 0);
    const mu = direction.map((d) => d + lambda);
    const norm = (v: number[]) => Math.hypot(...v);
    expect(weights.every((w) => w >= 0)).toBe(true);
    expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 5);
    // TorchJD's tolerance: ‖μ₊‖ ≈ ‖μ‖ to 1e-2 absolute, relative to the Gramian's scale here.
    expect(norm(mu) - norm(mu.filter((x) => x >= 0))).toBeLessThan(1e-2 * (1 + Math.abs(lambda)));
  });

  it.each([...typical, ...scaled].map((m, i) => [i, m]))('expected structure %i', (_, rows) => {
    assertExpectedStructure(new MGDA(), rows);
  });

  it('is non-conflicting; converged, permutation invariant', () => {
    // Frank–Wolfe stopped at epsilon = 1e-3 can leave a small conflicting residual where the
    // minimum-norm point is 0 (strongly stationary matrices): those are checked converged.
    for (const rows of typical.slice(0, 9)) assertNonConflicting(new MGDA(), rows);
    const converged = new MGDA({ epsilon: 1e-10, maxIters: 100000 });
    for (const rows of typical) assertNonConflicting(converged, rows);
    for (const rows of typical.slice(3, 10))
      assertPermutationInvariant(converged, rows, 1e-3, 1e-3);
  });

  it('names itself, calls hooks, rejects bad input and bad options', () => {
    expect(new MGDA().toString()).toBe('MGDA');
    expect(new MGDAWeighting().toString()).toBe('MGDAWeighting');
    const aggregator = new MGDA({ epsilon: 0.01, maxIters: 7 });
    expect([aggregator.gramianWeighting.epsilon, aggregator.gramianWeighting.maxIters]).toEqual([
      0.01, 7,
    ]);
    assertHooksCalled(new MGDA(), typical[4]);
    assertBadInputRejected(new MGDA());
    expect(() => new MGDA({ epsilon: 0 })).toThrow(InvalidArgumentError);
    expect(() => new MGDA({ epsilon: -1 })).toThrow(/`epsilon`/);
    expect(() => new MGDA({ maxIters: 0 })).toThrow(/`maxIters`/);
    expect(() => new MGDA({ maxIters: 2.5 })).toThrow(/`maxIters`/);
    expect(() => new MGDAWeighting().apply(tf.ones([2, 3]) as tf.Tensor2D)).toThrow(/`gramian`/);
  });

  it('keeps memory flat', () => {
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new MGDA();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    const gramian = tf.tensor2d(gramianOf(typical[5]));
    assertMemoryFlat(() => aggregator.gramianWeighting.apply(gramian).dispose());
    tf.dispose([matrix, gramian]);
  });
});

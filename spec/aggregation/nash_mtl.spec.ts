import * as tf from '@tensorflow/tfjs';
import { NashMTL, NashMTLWeighting } from '../../lib/aggregation/nash_mtl';
import { InvalidArgumentError } from '../../lib/errors';
import { normalMatrix, Rng, type Rows } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
} from './_properties';

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const weightsOf = (weighting: NashMTLWeighting, rows: Rows) =>
  tf.tidy(() => Array.from(weighting.apply(tf.tensor2d(rows)).dataSync()));

// TorchJD's NashMTL fixture dimensions (m > 1 only: NashMTL is not defined for a single row).
const rng = new Rng(7);
const nashMatrices = (
  [
    [3, 1, 1],
    [4, 3, 1],
    [4, 3, 2],
    [4, 3, 3],
    [9, 11, 5],
    [9, 11, 9],
  ] as const
).map(([m, n, r]) => normalMatrix(m, n, r, rng));

describe('NashMTL', () => {
  it('reaches the Nash bargaining solution α_i (G α)_i = 1 (closed form on orthogonal rows)', () => {
    // J = diag(2, 0.5): G = diag(4, 0.25) and α_i² G_ii = 1 gives α = [0.5, 2]. Repeated calls
    // continue the sequential procedure from the previous weights.
    const weighting = new NashMTLWeighting({ nTasks: 2, maxNorm: 0, optimNiter: 50 });
    const rows = [
      [2, 0],
      [0, 0.5],
    ];
    let alpha: number[] = [];
    for (let call = 0; call < 10; call++) alpha = weightsOf(weighting, rows);
    expect(alpha[0]).toBeCloseTo(0.5, 3);
    expect(alpha[1]).toBeCloseTo(2, 3);
  });

  it("gives TorchJD's fixed value on conflicting rows (test_values.py)", () => {
    // G α_prev = G 1 has a negative entry here: the first sub-problem starts from phase 1.
    const out = aggregate(new NashMTL({ nTasks: 2 }), [
      [-4, 1, 1],
      [6, 1, 1],
    ]);
    [0.0542, 0.7061, 0.7061].forEach((v, j) => expect(Math.abs(out[j] - v)).toBeLessThan(1e-4));
  });

  it('reaches the bargaining condition within 1% in one call (20 sub-problems), conflicts included', () => {
    const r = new Rng(31);
    let conflicting = 0;
    for (let trial = 0; trial < 40; trial++) {
      const m = 2 + (trial % 5);
      // Scaled by 1e-6 too: the weights are then ~1e6 (a solver with absolute tolerances fails).
      const scale = trial % 4 === 3 ? 1e-6 : 1;
      const rows = r.normals(m, m + 1 + (trial % 3)).map((row) => row.map((v) => v * scale));
      if (trial % 2 === 0) rows[1] = rows[1].map((v, j) => v - 1.5 * rows[0][j]); // a conflict
      const gramian = rows.map((a) => rows.map((b) => dot(a, b)));
      if (gramian.some((row, i) => row.some((v, j) => i !== j && v < 0))) conflicting += 1;
      const alpha = weightsOf(new NashMTLWeighting({ nTasks: m, maxNorm: 0 }), rows);
      const d = rows[0].map((_, j) => rows.reduce((s, row, i) => s + alpha[i] * row[j], 0));
      rows.forEach((row, i) => expect(Math.abs(alpha[i] * dot(row, d) - 1)).toBeLessThan(0.01));
    }
    expect(conflicting).toBeGreaterThan(20);
  });

  it('keeps the previous weights when the sub-problem has no solution (opposite rows)', () => {
    // 0 is in the convex hull of the rows: no α ≥ 0 makes G α > 0, as ECOS reports to TorchJD.
    const weighting = new NashMTLWeighting({ nTasks: 2, maxNorm: 0 });
    const solvable = [
      [2, 0],
      [0, 0.5],
    ];
    const before = weightsOf(weighting, solvable);
    const after = weightsOf(weighting, [
      [1, 2],
      [-1, -2],
    ]);
    expect(after).toEqual(before);
    expect(
      weightsOf(new NashMTLWeighting({ nTasks: 2, maxNorm: 0 }), [
        [1, 2],
        [-2, -4],
      ]),
    ).toEqual([1, 1]);
  });

  it('satisfies the bargaining condition on a random full-rank matrix after enough calls', () => {
    // Independent check of the fixed point: α_i · g_iᵀ(Jᵀα) = 1 for every i (Navon et al., Eq. 2).
    // Rows linearly independent (3 × 5), so a direction improving every objective exists.
    const rows = new Rng(12).normals(3, 5);
    const weighting = new NashMTLWeighting({ nTasks: 3, maxNorm: 0, optimNiter: 50 });
    let alpha: number[] = [];
    for (let call = 0; call < 20; call++) alpha = weightsOf(weighting, rows);
    const d = rows[0].map((_, j) => rows.reduce((s, r, i) => s + alpha[i] * r[j], 0));
    rows.forEach((r, i) => expect(alpha[i] * dot(r, d)).toBeCloseTo(1, 2));
  });

  it('reuses its weights between updates and clips the norm to maxNorm', () => {
    const weighting = new NashMTLWeighting({ nTasks: 4, maxNorm: 0, updateWeightsEvery: 2 });
    const first = weightsOf(weighting, nashMatrices[3]);
    const reused = weightsOf(weighting, nashMatrices[2]);
    expect(reused).toEqual(first);
    const clipped = new NashMTL({ nTasks: 4, maxNorm: 0.01 });
    expect(Math.hypot(...aggregate(clipped, nashMatrices[3]))).toBeLessThanOrEqual(
      0.01 * (1 + 1e-5),
    );
  });

  it('is reproducible after reset()', () => {
    const r = new Rng(9);
    const matrices = [0, 1, 2, 3].map(() => r.normals(3, 5));
    const aggregator = new NashMTL({ nTasks: 3, updateWeightsEvery: 3 });
    const expected = matrices.map((rows) => aggregate(aggregator, rows));
    aggregator.reset();
    const results = matrices.map((rows) => aggregate(aggregator, rows));
    results.forEach((res, k) => res.forEach((v, j) => expect(v).toBeCloseTo(expected[k][j], 6)));
  });

  it('properties: structure (incl. the zero-row edge case), hooks, bad input, memory', () => {
    for (const rows of nashMatrices)
      assertExpectedStructure(new NashMTL({ nTasks: rows.length }), rows);
    // G has a zero row: the sub-problem is infeasible and the previous (initial) weights are kept.
    const edge = [
      [0, 0],
      [0, 1],
    ];
    assertExpectedStructure(new NashMTL({ nTasks: 2 }), edge);
    expect(aggregate(new NashMTL({ nTasks: 2, maxNorm: 0 }), edge)).toEqual([0, 1]);
    assertHooksCalled(new NashMTL({ nTasks: 4 }), nashMatrices[3]);
    assertBadInputRejected(new NashMTL({ nTasks: 1 }));
    expect(() => new NashMTL({ nTasks: 3 }).apply(tf.tensor2d([[1, 2]]))).toThrow(/`matrix`/);
    const matrix = tf.tensor2d(nashMatrices[3]);
    const aggregator = new NashMTL({ nTasks: 4 });
    assertMemoryFlat(() => aggregator.apply(matrix).dispose(), 30);
    matrix.dispose();
  });

  it('rejects NaN or ∞ through its Gramian, and on calls that reuse the weights too', () => {
    for (const options of [{ nTasks: 2 }, { nTasks: 2, updateWeightsEvery: 2, maxNorm: 0 }]) {
      const aggregator = new NashMTL(options);
      const good = tf.tensor2d([
        [1, 0],
        [0, 1],
      ]);
      tf.dispose(aggregator.apply(good)); // the update call; the next one reuses the weights
      for (const bad of [NaN, -Infinity]) {
        const J = tf.tensor2d([
          [1, 0],
          [bad, 1],
        ]);
        expect(() => aggregator.apply(J)).toThrow(InvalidArgumentError);
        J.dispose();
      }
      good.dispose();
    }
  });

  it('validates options and exposes them, like TorchJD', () => {
    expect(() => new NashMTL({ nTasks: 0 })).toThrow(InvalidArgumentError);
    expect(() => new NashMTL({ nTasks: -1 })).toThrow(/`nTasks`/);
    expect(() => new NashMTL({ nTasks: 2, maxNorm: -1e-9 })).toThrow(/`maxNorm`/);
    expect(() => new NashMTL({ nTasks: 2, updateWeightsEvery: 0 })).toThrow(/`updateWeightsEvery`/);
    expect(() => new NashMTL({ nTasks: 2, optimNiter: 0 })).toThrow(/`optimNiter`/);
    const aggregator = new NashMTL({ nTasks: 2 });
    aggregator.nTasks = 4;
    aggregator.maxNorm = 2.5;
    aggregator.updateWeightsEvery = 3;
    aggregator.optimNiter = 7;
    expect(aggregator.weighting.nTasks).toBe(4);
    expect(aggregator.weighting.maxNorm).toBe(2.5);
    expect(aggregator.weighting.updateWeightsEvery).toBe(3);
    expect(aggregator.weighting.optimNiter).toBe(7);
    expect(aggregator.toString()).toBe('NashMTL');
  });
});

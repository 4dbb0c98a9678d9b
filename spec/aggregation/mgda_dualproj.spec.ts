import * as tf from '@tensorflow/tfjs';
import { DualProj } from '../../lib/aggregation/dualproj';
import { MGDA, MGDAWeighting } from '../../lib/aggregation/mgda';
import { fixtures } from './_matrices';
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

describe('MGDA', () => {
  it('finds the minimum-norm point of the segment between two rows', () => {
    // α g₁ + (1 − α) g₂ with g₁ = [-4,1,1], g₂ = [6,1,1] has minimum norm at α = 0.6: [0, 1, 1].
    const out = aggregate(new MGDA({ epsilon: 1e-9, maxIters: 1000 }), [
      [-4, 1, 1],
      [6, 1, 1],
    ]);
    [0, 1, 1].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 5));
  });

  it('returns convex weights whose combination is orthogonal-or-better to every row', () => {
    const rows = typical[5];
    const weights = tf.tidy(() =>
      Array.from(
        new MGDAWeighting()
          .apply(tf.matMul(tf.tensor2d(rows), tf.tensor2d(rows), false, true) as tf.Tensor2D)
          .dataSync(),
      ),
    );
    expect(weights.every((w) => w >= 0)).toBe(true);
    expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 5);
  });

  it('properties: structure, non-conflict, permutation invariance, hooks, errors, memory', () => {
    for (const rows of [...typical, ...scaled]) assertExpectedStructure(new MGDA(), rows);
    // Non-conflict holds for the exact minimum-norm point; Frank–Wolfe stopped at epsilon = 1e-3
    // can leave a small conflicting residual where that point is 0 (strongly stationary matrices).
    for (const rows of typical.slice(0, 9)) assertNonConflicting(new MGDA(), rows);
    const exact = new MGDA({ epsilon: 1e-10, maxIters: 100000 });
    for (const rows of typical) assertNonConflicting(exact, rows);
    // Frank–Wolfe stopped early (epsilon = 1e-3) depends on the row order; converged, it does not.
    const converged = exact;
    for (const rows of typical.slice(3, 10))
      assertPermutationInvariant(converged, rows, 1e-3, 1e-3);
    assertHooksCalled(new MGDA(), typical[4]);
    assertBadInputRejected(new MGDA());
    expect(() => new MGDA({ epsilon: 0 })).toThrow(/`epsilon`/);
    expect(() => new MGDA({ maxIters: 2.5 })).toThrow(/`maxIters`/);
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new MGDA();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});

describe('DualProj', () => {
  it('projects the mean onto the dual cone: the mean itself when it conflicts with no row', () => {
    const rows = [
      [1, 0, 1],
      [1, 1, 0],
    ];
    aggregate(new DualProj({ regEps: 0 }), rows).forEach((v, i) =>
      expect(v).toBeCloseTo([1, 0.5, 0.5][i], 5),
    );
  });

  it('otherwise lands on the boundary of the dual cone: one row becomes orthogonal', () => {
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    const out = aggregate(new DualProj({ regEps: 0 }), rows);
    const products = rows.map((r) => r.reduce((s, x, i) => s + x * out[i], 0));
    expect(Math.min(...products)).toBeCloseTo(0, 4);
    expect(Math.max(...products)).toBeGreaterThan(0);
  });

  it('properties: structure, non-conflict, permutation invariance, hooks, errors, memory', () => {
    for (const rows of [...typical, ...scaled]) assertExpectedStructure(new DualProj(), rows);
    for (const rows of typical) assertNonConflicting(new DualProj(), rows);
    for (const rows of typical.slice(3, 10))
      assertPermutationInvariant(new DualProj(), rows, 5e-5, 5e-5);
    assertHooksCalled(new DualProj(), typical[4]);
    assertBadInputRejected(new DualProj());
    expect(new DualProj({ prefVector: [1, 2] }).toString()).toBe('DualProj([1., 2.])');
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new DualProj();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});

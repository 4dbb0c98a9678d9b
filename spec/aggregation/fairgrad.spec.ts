import * as tf from '@tensorflow/tfjs';
import { FairGrad, FairGradWeighting } from '../../lib/aggregation/fairgrad';
import { Mean } from '../../lib/aggregation/mean';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, type Rows } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
  assertNonConflicting,
} from './_properties';

const { typical, scaled, normal, zero, nonStrong } = fixtures();
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const gramianOf = (rows: Rows) => rows.map((r) => rows.map((s) => dot(r, s)));

describe('FairGrad', () => {
  it('gives [1, 1] on J = diag(1, 2) with α = 1 (by hand)', () => {
    // G = diag(1, 4): w₁·1 = 1/w₁ and 4 w₂ = 1/w₂ give w = [1, ½]; wᵀJ = [1, 1].
    const out = aggregate(new FairGrad({ alpha: 1 }), [
      [1, 0],
      [0, 2],
    ]);
    out.forEach((v) => expect(v).toBeCloseTo(1, 5));
  });

  it('gives every objective the improvement g_iᵀd = w_i^(−1/α) (Equation 4)', () => {
    for (const rows of normal.slice(1, 4)) {
      // These fixtures have full row rank only up to their rank: use the full-rank one (4 × 3, rank 3)
      // and pairs of rows of the others, where the system is solvable.
      const sub = rows.length > rows[0].length || rows === normal[3] ? rows.slice(0, 2) : rows;
      for (const alpha of [0.5, 1, 2]) {
        const weights = tf.tidy(() =>
          Array.from(
            new FairGradWeighting({ alpha }).apply(tf.tensor2d(gramianOf(sub))).dataSync(),
          ),
        );
        const d = sub[0].map((_, j) => sub.reduce((s, r, i) => s + weights[i] * r[j], 0));
        sub.forEach((row, i) => {
          const target = weights[i] ** (-1 / alpha);
          expect(Math.abs(dot(row, d) - target)).toBeLessThan(1e-4 * Math.max(1, target));
        });
      }
    }
  });

  it('is the mean when α = 0', () => {
    for (const rows of typical) {
      const out = aggregate(new FairGrad({ alpha: 0 }), rows);
      const expected = aggregate(new Mean(), rows);
      out.forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
    }
  });

  it('properties: structure, non-conflict, hooks, bad input, memory', () => {
    for (const rows of [...typical, ...scaled]) {
      assertExpectedStructure(new FairGrad({ alpha: 1, maxIters: 1 }), rows);
      assertExpectedStructure(new FairGrad({ alpha: 1 }), rows);
    }
    // On strongly stationary matrices (a positive combination of the rows is 0), G w = w^(−1/α) has
    // no solution and the iterates escape to infinity; non-conflict is only promised where it exists.
    for (const rows of [...zero, ...normal, ...nonStrong]) {
      assertNonConflicting(new FairGrad({ alpha: 0.1, maxIters: 100 }), rows);
    }
    assertHooksCalled(new FairGrad({ alpha: 1 }), typical[4]);
    assertBadInputRejected(new FairGrad({ alpha: 1 }));
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new FairGrad({ alpha: 1 });
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });

  it('validates options and exposes them', () => {
    expect(() => new FairGrad({ alpha: -1 })).toThrow(InvalidArgumentError);
    expect(() => new FairGrad({ alpha: -1 })).toThrow(/`alpha`/);
    expect(() => new FairGrad({ alpha: 1, maxIters: 0 })).toThrow(/`maxIters`/);
    expect(() => new FairGrad({ alpha: 1, maxIters: 1.5 })).toThrow(/`maxIters`/);
    const aggregator = new FairGrad({ alpha: 1 });
    aggregator.alpha = 2;
    aggregator.maxIters = 50;
    expect(aggregator.gramianWeighting.alpha).toBe(2);
    expect(aggregator.gramianWeighting.maxIters).toBe(50);
  });

  it('prints as TorchJD', () => {
    expect(new FairGrad({ alpha: 0.1 }).toString()).toBe('0.1-FairGrad');
    expect(new FairGrad({ alpha: 1 }).toString()).toBe('1.0-FairGrad');
  });
});

import { solveAlphaFairness } from '../../../lib/linalg/solvers/fairgrad';
import { Rng } from '../../aggregation/_matrices';

type Rows = number[][];
const gramianOf = (rows: Rows): Rows =>
  rows.map((r) => rows.map((s) => r.reduce((acc, v, k) => acc + v * s[k], 0)));

describe('solveAlphaFairness', () => {
  it('matches the closed form on diagonal Gramians', () => {
    // G = diag(d): d_i x_i = x_i^(−1/α), so x_i = d_i^(−α/(α+1)).
    const d = [1, 4, 0.25, 9];
    const g = d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
    for (const alpha of [0.1, 0.5, 1, 2, 5]) {
      const { weights, converged } = solveAlphaFairness(g, alpha, 400);
      expect(converged).toBe(true);
      weights.forEach((x, i) => {
        const expected = d[i] ** (-alpha / (alpha + 1));
        expect(Math.abs(x - expected)).toBeLessThan(1e-6 * Math.max(1, expected));
      });
    }
  });

  it('solves G x = x^(−1/α) to 1e-6 on random positive-definite Gramians', () => {
    const rng = new Rng(8);
    for (const [m, n] of [
      [2, 5],
      [4, 6],
      [7, 12],
    ]) {
      const g = gramianOf(
        Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal())),
      );
      for (const alpha of [0.5, 1, 2]) {
        const { weights, converged } = solveAlphaFairness(g, alpha, 100 * m);
        expect(converged).toBe(true);
        expect(weights.every((x) => x > 0)).toBe(true);
        g.forEach((row, i) => {
          const gx = row.reduce((s, v, j) => s + v * weights[j], 0);
          const target = weights[i] ** (-1 / alpha);
          expect(Math.abs(gx - target)).toBeLessThan(1e-6 * Math.max(1, target));
        });
      }
    }
  });

  it('follows a root escaping to infinity with finite positive iterates (no root exists)', () => {
    // G = diag(0, 1): 0 = x₀^(−1) has no finite solution; x₁ = 1 is still found exactly.
    const { weights } = solveAlphaFairness(
      [
        [0, 0],
        [0, 1],
      ],
      1,
      50,
    );
    expect(weights.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    expect(weights[0]).toBeGreaterThan(1e3);
    expect(weights[1]).toBeCloseTo(1, 6);
  });
});

import { solveConflictAverse } from '../../../lib/linalg/solvers/cagrad';
import { Rng } from '../../aggregation/_matrices';

type Rows = number[][];
const gramianOf = (rows: Rows): Rows =>
  rows.map((r) => rows.map((s) => r.reduce((acc, v, k) => acc + v * s[k], 0)));
const quad = (g: Rows, w: number[]) =>
  g.reduce((s, row, i) => s + w[i] * row.reduce((t, v, j) => t + v * w[j], 0), 0);
const objective = (g: Rows, r: number, w: number[]) => {
  const m = g.length;
  const linear = g.map((row) => row.reduce((s, v) => s + v / m, 0));
  return linear.reduce((s, l, i) => s + l * w[i], 0) + r * Math.sqrt(Math.max(quad(g, w), 0));
};
const randomRows = (m: number, n: number, rng: Rng): Rows =>
  Array.from({ length: m }, () => Array.from({ length: n }, () => rng.normal()));

describe('solveConflictAverse', () => {
  it('satisfies the KKT conditions on the simplex to 1e-6', () => {
    // At a minimizer of f on the simplex, ∂f/∂w_i equals a common λ on the support, and is ≥ λ off it.
    const rng = new Rng(11);
    for (const [m, n] of [
      [2, 3],
      [3, 5],
      [5, 4],
      [8, 20],
    ]) {
      const g = gramianOf(randomRows(m, n, rng));
      const r = 0.7 * Math.sqrt(quad(g, new Array(m).fill(1 / m)));
      const { weights: w, converged } = solveConflictAverse(g, r);
      expect(converged).toBe(true);
      expect(w.every((v) => v >= 0)).toBe(true);
      expect(Math.abs(w.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
      const norm = Math.sqrt(quad(g, w));
      const grad = g.map(
        (row, i) =>
          row.reduce((s, v) => s + v / m, 0) +
          (r * row.reduce((s, v, j) => s + v * w[j], 0)) / norm,
      );
      const lambda = grad.reduce((s, v, i) => s + v * w[i], 0);
      grad.forEach((gi, i) => {
        if (w[i] > 1e-7) expect(Math.abs(gi - lambda)).toBeLessThan(1e-6);
        else expect(gi).toBeGreaterThan(lambda - 1e-6);
      });
    }
  });

  it('matches a dense grid search over the 3-simplex', () => {
    // Brute force: every point of a 1/300 grid of the simplex; the solver must do at least as well.
    const rng = new Rng(5);
    for (let trial = 0; trial < 3; trial++) {
      const g = gramianOf(randomRows(3, 4, rng));
      const r = 0.5 * Math.sqrt(quad(g, [1 / 3, 1 / 3, 1 / 3]));
      let gridBest = Infinity;
      const steps = 300;
      for (let a = 0; a <= steps; a++) {
        for (let b = 0; a + b <= steps; b++) {
          const w = [a / steps, b / steps, (steps - a - b) / steps];
          gridBest = Math.min(gridBest, objective(g, r, w));
        }
      }
      const solved = objective(g, r, solveConflictAverse(g, r).weights);
      expect(solved).toBeLessThanOrEqual(gridBest + 1e-12);
      expect(gridBest - solved).toBeLessThan(1e-3); // the grid is only 1/300 fine
    }
  });

  it('reports a zero combination when the origin minimizes the norm (opposite rows)', () => {
    // g₁ = −g₂: the mean gradient is 0, so f(w) = r‖g_w‖ is minimized at w = [½, ½] with g_w = 0.
    const { weights, combinationNorm, converged } = solveConflictAverse(
      [
        [1, -1],
        [-1, 1],
      ],
      0.3,
    );
    expect(converged).toBe(true);
    expect(combinationNorm).toBeLessThan(1e-6);
    weights.forEach((w) => expect(w).toBeCloseTo(0.5, 6));
  });

  it('returns the best finite iterate, flagged not converged, when out of iterations', () => {
    const rng = new Rng(2);
    const g = gramianOf(randomRows(6, 3, rng));
    const result = solveConflictAverse(g, 2, { maxIters: 1 });
    expect(result.weights.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(result.combinationNorm)).toBe(true);
  });
});

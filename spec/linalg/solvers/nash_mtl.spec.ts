import { NumericalError } from '../../../lib/errors';
import {
  solveNashSubproblem,
  strictlyFeasibleDirection,
} from '../../../lib/linalg/solvers/nash_mtl';

type Rows = number[][];
const matVec = (a: Rows, x: number[]) => a.map((row) => row.reduce((s, v, j) => s + v * x[j], 0));

/** The linear cost of the sub-problem, written independently from the solver. */
function costOf(g: Rows, s: number, prev: number[]): number[] {
  const gp = matVec(g, prev);
  return g.map((_, j) => {
    const columnSum = g.reduce((acc, row) => acc + row[j], 0);
    const tangent = 1 / prev[j] + g.reduce((acc, row, i) => acc + row[j] / gp[i], 0);
    return columnSum + tangent / s;
  });
}

describe('solveNashSubproblem', () => {
  it('matches the closed form with one objective', () => {
    // minimize (G + (1/α₀ + 1/α₀)/s) α s.t. s α G α ≥ 1: the constraint is active, α = 1/√(sG).
    const alpha = solveNashSubproblem([[0.5]], 8, [1]);
    expect(alpha[0]).toBeCloseTo(1 / Math.sqrt(8 * 0.5), 7);
  });

  it('is feasible and at least as good as a dense grid search (m = 2)', () => {
    const cases: [Rows, number, number[]][] = [
      [
        [
          [1, 0.2],
          [0.2, 0.5],
        ],
        3,
        [1, 1],
      ],
      [
        [
          [0.6, -0.1],
          [-0.1, 0.8],
        ],
        2,
        [0.7, 1.4],
      ],
    ];
    for (const [g, s, prev] of cases) {
      const alpha = solveNashSubproblem(g, s, prev);
      const ga = matVec(g, alpha);
      alpha.forEach((a, i) => expect(s * a * ga[i]).toBeGreaterThan(1 - 1e-8));
      const cost = costOf(g, s, prev);
      const value = cost[0] * alpha[0] + cost[1] * alpha[1];
      // Brute force over a 2000 × 2000 grid of [0, 4]², keeping feasible points only.
      let best = Infinity;
      const steps = 2000;
      for (let a = 1; a <= steps; a++) {
        for (let b = 1; b <= steps; b++) {
          const x = [(4 * a) / steps, (4 * b) / steps];
          const gx = matVec(g, x);
          if (s * x[0] * gx[0] >= 1 && s * x[1] * gx[1] >= 1) {
            best = Math.min(best, cost[0] * x[0] + cost[1] * x[1]);
          }
        }
      }
      expect(value).toBeLessThanOrEqual(best + 1e-7);
      expect(best - value).toBeLessThan(1e-2);
    }
  });

  it('solves from a linearization point outside the feasible set, as ECOS does for TorchJD', () => {
    // J = [[-4, 1, 1], [6, 1, 1]]: G 1 = [-4, 16]. ECOS (through TorchJD's cvxpy problem) gives
    // [0.59146124, 0.40707154] for this sub-problem, where both constraints are active.
    const raw = [
      [18, -22],
      [-22, 38],
    ];
    const s = Math.hypot(18, 22, 22, 38);
    const g = raw.map((row) => row.map((v) => v / s));
    const alpha = solveNashSubproblem(g, s, [1, 1]);
    expect(alpha[0]).toBeCloseTo(0.59146124, 6);
    expect(alpha[1]).toBeCloseTo(0.40707154, 6);
    const ga = matVec(g, alpha);
    alpha.forEach((a, i) => expect(s * a * ga[i]).toBeCloseTo(1, 6));
  });

  it('phase 1 finds α > 0 with G α > 0 on conflicting rows, and throws when 0 is in the hull', () => {
    const g = [
      [18, -22],
      [-22, 38],
    ];
    const alpha = strictlyFeasibleDirection(g);
    alpha.forEach((a) => expect(a).toBeGreaterThan(0));
    matVec(g, alpha).forEach((v) => expect(v).toBeGreaterThan(0));
    const opposite = [
      [5, -10],
      [-10, 20],
    ]; // rows [1, 2] and [-2, -4]
    expect(() => strictlyFeasibleDirection(opposite)).toThrow(NumericalError);
    expect(() => solveNashSubproblem(opposite, 1, [1, 1])).toThrow(NumericalError);
  });

  it('throws NumericalError when no strictly feasible point exists', () => {
    // A zero row of G makes (G α)_1 = 0 for every α.
    expect(() =>
      solveNashSubproblem(
        [
          [0, 0],
          [0, 1],
        ],
        1,
        [1, 1],
      ),
    ).toThrow(NumericalError);
  });
});

import { NumericalError } from '../../errors';
import { dot, matVec, type Matrix64 } from '../matrix';
import { solveLinearSystem } from './dense_solve';

/**
 * Solves one convex sub-problem of Nash-MTL's sequential procedure (Section 3.2 of "Multi-Task
 * Learning as a Bargaining Game", Navon et al., ICML 2022), as TorchJD states it for cvxpy:
 *
 *     minimize over α ≥ 0   1ᵀ G α + φ′(α_prev)ᵀ (α − α_prev) / s
 *     subject to           log(s α_i) + log((G α)_i) ≥ 0   for every i
 *
 * where `G` is the Gramian divided by `s` (its Frobenius norm) and
 * `φ′(α_prev) = 1 / α_prev + Gᵀ (1 / (G α_prev))` linearizes the concave part of the objective.
 *
 * The objective is linear and every constraint is convex (a sum of `−log` of affine functions),
 * so we use a log-barrier interior-point method: Newton's method with a feasibility-preserving
 * backtracking line search on `t·cᵀα − Σ log(gᵢ(α))`, with `t` multiplied by 100 until the duality
 * gap `m / t` is below `gapTolerance` times the objective's magnitude. The starting point is `α_prev`
 * scaled so that it is strictly feasible.
 *
 * Throws `NumericalError` when no strictly feasible point exists (some `(G α_prev)_i ≤ 0`, e.g. a
 * zero row in the Gramian), when the problem is unbounded (the iterates diverge), or when a Newton
 * system is singular: the caller keeps its previous weights, as TorchJD does on a solver failure.
 *
 * @example
 * ```ts
 * // One objective: α G α s = 1 at the optimum, so α = 1/√(G s) = 1 for G = [[1]], s = 1.
 * solveNashSubproblem([[1]], 1, [1]); // ≈ [1]
 * ```
 */
export function solveNashSubproblem(
  gramian: Matrix64,
  scale: number,
  previous: ArrayLike<number>,
  { gapTolerance = 1e-9, maxNewtonSteps = 200 } = {},
): number[] {
  const m = gramian.length;
  const prev = Array.from(previous);
  const gPrev = matVec(gramian, prev);
  if (!prev.every((v) => v > 0) || !gPrev.every((v) => v > 0)) {
    throw new NumericalError(
      'Nash-MTL: no strictly feasible point (G α has a non-positive entry).',
    );
  }
  const inverseGPrev = gPrev.map((v) => 1 / v);
  const tangent = prev.map(
    (a, i) =>
      1 / a +
      dot(
        gramian.map((row) => row[i]),
        inverseGPrev,
      ),
  );
  const columnSums = gramian[0].map((_, j) => gramian.reduce((s, row) => s + row[j], 0));
  const cost = columnSums.map((g, j) => g + tangent[j] / scale);

  const slack = (alpha: number[]): number[] | null => {
    const ga = matVec(gramian, alpha);
    const values = alpha.map((a, i) => (a > 0 && ga[i] > 0 ? Math.log(scale * a * ga[i]) : -1));
    return values.every((v) => v > 0) ? values : null;
  };
  // Strictly feasible start: scaling α by k multiplies every s α_i (Gα)_i by k².
  // Scaling to the smallest product 2e (slack log(2e) > 0) also brings a far-away α_prev close to
  // the boundary, where the constraints of the optimum are active.
  const minProduct = Math.min(...prev.map((a, i) => scale * a * gPrev[i]));
  let alpha = prev.map((a) => a * Math.sqrt((2 * Math.E) / minProduct));

  const barrier = (a: number[], t: number): number => {
    const g = slack(a);
    return g === null ? Infinity : t * dot(cost, a) - g.reduce((s, v) => s + Math.log(v), 0);
  };
  // The duality gap m/t is made small relative to the objective's magnitude.
  const objectiveScale = Math.max(1, Math.abs(dot(cost, alpha)));
  // Starting at a gap of 1e-4 of the objective's magnitude skips the early centering steps: α_prev
  // is warm (near the optimum) in the sequential procedure.
  for (let t = m / (1e-4 * objectiveScale); m / t > gapTolerance * objectiveScale; t *= 100) {
    for (let step = 0; step < maxNewtonSteps; step++) {
      const g = slack(alpha)!;
      const ga = matVec(gramian, alpha);
      const gradient = cost.map((c) => t * c);
      const hessian: Matrix64 = Array.from({ length: m }, () => new Array<number>(m).fill(0));
      for (let i = 0; i < m; i++) {
        // ∇gᵢ = eᵢ/αᵢ + Gᵢ/(Gα)ᵢ ;  ∇²gᵢ = −eᵢeᵢᵀ/αᵢ² − GᵢGᵢᵀ/(Gα)ᵢ²
        const grad = gramian[i].map((gij, j) => gij / ga[i] + (i === j ? 1 / alpha[i] : 0));
        for (let j = 0; j < m; j++) {
          gradient[j] -= grad[j] / g[i];
          for (let k = 0; k < m; k++) {
            const curvature =
              (i === j && i === k ? 1 / alpha[i] ** 2 : 0) +
              (gramian[i][j] * gramian[i][k]) / ga[i] ** 2;
            hessian[j][k] += (grad[j] * grad[k]) / g[i] ** 2 + curvature / g[i];
          }
        }
      }
      const direction = solveLinearSystem(hessian, gradient).map((v) => -v);
      const decrement = -dot(gradient, direction);
      if (decrement / 2 <= 1e-9) break;
      const current = barrier(alpha, t);
      // Fraction to the boundary of {α > 0, Gα > 0} (linear), so few trial steps are infeasible.
      const gDirection = matVec(gramian, direction);
      let stepSize = 1;
      for (let i = 0; i < m; i++) {
        if (direction[i] < 0) stepSize = Math.min(stepSize, (-0.99 * alpha[i]) / direction[i]);
        if (gDirection[i] < 0) stepSize = Math.min(stepSize, (-0.99 * ga[i]) / gDirection[i]);
      }
      let next = alpha;
      for (let halving = 0; halving < 40; halving++) {
        const candidate = alpha.map((a, i) => a + stepSize * direction[i]);
        if (barrier(candidate, t) <= current - 0.25 * stepSize * decrement) {
          next = candidate;
          break;
        }
        stepSize /= 2;
      }
      if (next === alpha) break; // No progress possible in floating point.
      alpha = next;
      if (!alpha.every((a) => Number.isFinite(a) && a < 1e15)) {
        throw new NumericalError('Nash-MTL: the sub-problem is unbounded or diverges.');
      }
    }
  }
  return alpha;
}

import { dot, matVec, type Matrix64 } from '../matrix';
import { projectOntoSimplex } from '../simplex';

/** The result of {@link solveConflictAverse}. */
export interface ConflictAverseSolution {
  /** The minimizer `w` on the probability simplex (the best iterate when not `converged`). */
  weights: number[];
  /** `‖J_ᵀ w‖ = √(wᵀ G w)`, the norm of the combination at the solution. */
  combinationNorm: number;
  /** Whether the projected-gradient residual fell below the tolerance. */
  converged: boolean;
}

/**
 * Solves the inner problem of CAGrad (Algorithm 1 of "Conflict-Averse Gradient Descent for
 * Multi-task Learning", Liu et al., NeurIPS 2021) expressed with the Gramian `G = J Jᵀ`:
 *
 *     minimize over the simplex   f(w) = wᵀ G w̄ + r · √(wᵀ G w),   w̄ = [1/m, …, 1/m]
 *
 * (`wᵀ G w̄ = g_wᵀ g₀` and `√(wᵀ G w) = ‖g_w‖`), which TorchJD hands to cvxpy.
 *
 * `f` is convex; it is smooth wherever `g_w ≠ 0`. We run accelerated projected gradient (FISTA with
 * backtracking and adaptive restart) until the fixed-point residual `‖w − P(w − ∇f(w))‖∞`
 * falls below `tolerance`. When the minimizer has `g_w = 0` (the origin is in the convex hull of
 * the rows and the square root is not differentiable there), the iteration stops as soon as
 * `‖g_w‖ ≤ zeroNorm` (default 1e-8, for a Gramian normalized to trace 1) and reports it as
 * converged: the caller then treats the point as Pareto stationary. Near such points the
 * convergence of first-order methods is sublinear: on degenerate (rank-deficient, nearly
 * stationary) inputs the default `maxIters = 5000` can be reached. Then the best iterate is
 * returned with `converged: false`; the output is always finite.
 *
 * @example
 * ```ts
 * solveConflictAverse([[1, 0], [0, 1]], 0.5).weights; // [0.5, 0.5] by symmetry
 * ```
 */
export function solveConflictAverse(
  gramian: Matrix64,
  radius: number,
  { maxIters = 5000, tolerance = 1e-8, zeroNorm = 1e-8 } = {},
): ConflictAverseSolution {
  const m = gramian.length;
  const linear = matVec(gramian, new Array<number>(m).fill(1 / m));
  const normOf = (w: number[]): number => Math.sqrt(Math.max(dot(w, matVec(gramian, w)), 0));
  const value = (w: number[]): number => dot(w, linear) + radius * normOf(w);
  const gradient = (w: number[]): number[] => {
    const gw = matVec(gramian, w);
    const norm = Math.sqrt(Math.max(dot(w, gw), 0));
    return linear.map((l, i) => l + (norm > 0 ? (radius * gw[i]) / norm : 0));
  };

  let w = new Array<number>(m).fill(1 / m);
  let y = w;
  let momentum = 1;
  let lipschitz = 1;
  let best = w;
  let bestValue = value(w);
  for (let iteration = 0; iteration < maxIters; iteration++) {
    if (normOf(y) <= zeroNorm) return { weights: y, combinationNorm: normOf(y), converged: true };
    const grad = gradient(y);
    const valueY = value(y);
    let next: number[] = y;
    // Backtracking: the smallest L (up to ×2) for which the quadratic model majorizes f.
    for (let trial = 0; trial < 100; trial++) {
      next = projectOntoSimplex(y.map((v, i) => v - grad[i] / lipschitz));
      const d = next.map((v, i) => v - y[i]);
      if (value(next) <= valueY + dot(grad, d) + 0.5 * lipschitz * dot(d, d) + 1e-15) break;
      lipschitz *= 2;
    }
    // The unit-step fixed-point residual ‖w − P(w − ∇f(w))‖∞ is zero exactly at KKT points.
    const gradNext = gradient(next);
    const probe = projectOntoSimplex(next.map((v, i) => v - gradNext[i]));
    const residual = probe.reduce((s, v, i) => Math.max(s, Math.abs(v - next[i])), 0);
    const nextValue = value(next);
    if (nextValue < bestValue) {
      best = next;
      bestValue = nextValue;
    }
    if (residual <= tolerance) {
      return { weights: next, combinationNorm: normOf(next), converged: true };
    }
    const nextMomentum = (1 + Math.sqrt(1 + 4 * momentum * momentum)) / 2;
    if (nextValue > value(w)) {
      // Adaptive restart (O'Donoghue & Candès 2015): momentum made things worse.
      y = w;
      momentum = 1;
    } else {
      y = next.map((v, i) => v + ((momentum - 1) / nextMomentum) * (v - w[i]));
      w = next;
      momentum = nextMomentum;
    }
    lipschitz = Math.max(lipschitz / 1.5, 1e-12);
  }
  return { weights: best, combinationNorm: normOf(best), converged: false };
}

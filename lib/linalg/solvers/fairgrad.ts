import { NumericalError } from '../../errors';
import { matVec, type Matrix64 } from '../matrix';
import { solveLinearSystem } from './dense_solve';

/** The result of {@link solveAlphaFairness}. */
export interface AlphaFairnessSolution {
  /** The weights `x > 0` (the last iterate when `converged` is false). */
  weights: number[];
  /** Whether `‖G x − x^(−1/α)‖∞ ≤ tolerance · max(1, ‖x^(−1/α)‖∞)` was reached. */
  converged: boolean;
  /** Number of Newton iterations performed. */
  iterations: number;
}

/**
 * Solves FairGrad's optimality system `G x = x^(−1/α)` (element-wise power) for `x > 0`, as in
 * Equation 4 of "Fair Resource Allocation in Multi-Task Learning" (Ban & Ji, ICML 2024).
 *
 * The system is the first-order condition of the strictly convex function
 * `φ(x) = ½ xᵀ G x − Σ h(x_i)` with `h′(x) = x^(−1/α)`, whose Hessian `G + diag(x^(−1/α−1)) / α`
 * is positive definite on `x > 0`. So we run Newton's method on `φ` with a backtracking line search
 * that keeps `x > 0` and decreases `φ`: it converges quadratically to the unique root when one
 * exists, where TorchJD runs a generic bounded least-squares solver.
 *
 * When no root exists (a Gramian with a zero row or a null direction pushes the root to infinity),
 * the iteration stops after `maxIters` and the last iterate is returned with `converged: false`:
 * a finite, positive vector, as TorchJD returns its last iterate. Throws `NumericalError` if an
 * iterate stops being finite.
 *
 * @example
 * ```ts
 * solveAlphaFairness([[1, 0], [0, 4]], 1).weights; // [1, 0.5]: x_i² G_ii = 1
 * ```
 */
export function solveAlphaFairness(
  gramian: Matrix64,
  alpha: number,
  maxIters: number,
  tolerance = 1e-12,
): AlphaFairnessSolution {
  const m = gramian.length;
  const power = -1 / alpha;
  let x = new Array<number>(m).fill(1 / m);
  const h = (v: number): number => (alpha === 1 ? Math.log(v) : v ** (1 + power) / (1 + power));
  const objective = (v: number[]): number => {
    const gv = matVec(gramian, v);
    let value = 0;
    for (let i = 0; i < m; i++) value += 0.5 * v[i] * gv[i] - h(v[i]);
    return value;
  };
  const residualOf = (v: number[]): number[] => matVec(gramian, v).map((g, i) => g - v[i] ** power);
  const isSolved = (v: number[], r: number[]): boolean => {
    const target = Math.max(1, ...v.map((vi) => vi ** power));
    return maxAbs(r) <= tolerance * target;
  };

  let residual = residualOf(x);
  for (let iteration = 0; iteration < maxIters; iteration++) {
    if (isSolved(x, residual)) return { weights: x, converged: true, iterations: iteration };
    const hessian = gramian.map((row, i) =>
      row.map((g, j) => (i === j ? g - power * x[i] ** (power - 1) : g)),
    );
    let step: number[];
    try {
      step = solveLinearSystem(hessian, residual).map((v) => -v);
    } catch {
      // The Hessian is positive definite in exact arithmetic; if rounding makes it singular, a
      // gradient step still decreases φ.
      step = residual.map((v) => -v);
    }
    const current = objective(x);
    const slope = step.reduce((s, d, i) => s + d * residual[i], 0);
    let t = 1;
    let next = x;
    for (let halving = 0; halving < 40; halving++) {
      const candidate = x.map((xi, i) => xi + t * step[i]);
      // Near the root, φ's decrease falls below rounding: a step that shrinks the residual is taken.
      if (
        candidate.every((v) => v > 0) &&
        (objective(candidate) <= current + 1e-4 * t * slope ||
          maxAbs(residualOf(candidate)) < 0.5 * maxAbs(residual))
      ) {
        next = candidate;
        break;
      }
      t /= 2;
    }
    // A step too small to change x in float64 means Newton has stalled (no root: see above).
    const moved = next.some((v, i) => Math.abs(v - x[i]) > 1e-15 * Math.abs(x[i]));
    if (next === x || !moved) {
      return { weights: x, converged: isSolved(x, residual), iterations: iteration };
    }
    x = next;
    if (!x.every(Number.isFinite)) {
      throw new NumericalError('FairGrad: the Newton iterate is no longer finite.');
    }
    residual = residualOf(x);
  }
  return { weights: x, converged: isSolved(x, residual), iterations: maxIters };
}

function maxAbs(values: number[]): number {
  return values.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
}
